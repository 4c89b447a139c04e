-- The customers who are lost WeCom contacts as of D (rules §5). A customer's relationships
-- are the (staff userid, external_userid) pairs seen in any contact snapshot or contact
-- event dated ≤ D; the customer is lost when there is at least one and the latest event of
-- every one of them is `del_follow_user` (the customer removed or blocked the staff
-- member). A pair with no event at all is not lost; when several events share the latest
-- second, the pair is lost only if all of them are `del_follow_user`.
with

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

follow_user_versions as (
    select * from {{ ref('stg_wecom__follow_user_versions') }}
),

contact_events as (
    select * from {{ ref('stg_wecom__contact_events') }}
),

relationships as (
    select distinct
        external_userid,
        userid
    from follow_user_versions
    union
    select distinct
        external_userid,
        userid
    from contact_events
    where userid is not null
),

latest_events as (
    select
        external_userid,
        userid,
        bool_and(change_type = 'del_follow_user') as is_removed_by_customer
    from contact_events
    where external_userid is not null and userid is not null
    group by external_userid, userid, changed_at
    qualify changed_at = max(changed_at) over (partition by external_userid, userid)
),

pairs as (
    select
        identifiers.customer_id,
        coalesce(latest_events.is_removed_by_customer, false) as is_lost
    from relationships
    inner join identifiers
        on {{ customer_of('identifiers', 'external_userid', 'relationships.external_userid') }}
    left join latest_events
        on
            relationships.external_userid = latest_events.external_userid
            and relationships.userid = latest_events.userid
),

final as (
    select
        customer_id,
        count(*) as relationships
    from pairs
    group by customer_id
    having bool_and(is_lost)
)

select * from final
