-- How each customer can be reached as of D (playbook §15), one row per customer with an
-- active WeCom relationship or an openid. A relationship (staff `userid`, `external_userid`)
-- seen in a contact snapshot or a contact event dated ≤ D is active unless its latest event
-- is `del_follow_user` or `del_external_contact` (when several share the latest second, only
-- if all of them are removals, as for lost contacts). channel: `wecom` with an active
-- relationship, else `miniprogram` with an openid. The owner, for `wecom`: of the active
-- relationships, the one with the customer's latest interaction (either direction) dated ≤
-- D; without interactions the earliest relationship (its `createtime`, or its first contact
-- event when no snapshot holds it), then the smallest `userid`.
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

interactions as (
    select * from {{ ref('stg_wecom__interactions') }}
),

snapshot_relationships as (
    select
        external_userid,
        userid,
        min(created_at) as created_at
    from follow_user_versions
    group by external_userid, userid
),

dated_events as (
    select * from contact_events
    where
        external_userid is not null
        and userid is not null
        and changed_date <= {{ as_of_date() }}
),

event_relationships as (
    select
        external_userid,
        userid,
        min(changed_at) as first_event_at
    from dated_events
    group by external_userid, userid
),

latest_events as (
    select
        external_userid,
        userid,
        bool_and(change_type in ('del_follow_user', 'del_external_contact')) as is_removed
    from dated_events
    group by external_userid, userid, changed_at
    qualify changed_at = max(changed_at) over (partition by external_userid, userid)
),

relationships as (
    select
        coalesce(snapshot_relationships.external_userid, event_relationships.external_userid)
            as external_userid,
        coalesce(snapshot_relationships.userid, event_relationships.userid) as userid,
        coalesce(snapshot_relationships.created_at, event_relationships.first_event_at)
            as since_at
    from snapshot_relationships
    full outer join event_relationships
        on
            snapshot_relationships.external_userid = event_relationships.external_userid
            and snapshot_relationships.userid = event_relationships.userid
),

last_interactions as (
    select
        external_userid,
        userid,
        max(occurred_at) as last_interaction_at
    from interactions
    where occurred_date <= {{ as_of_date() }}
    group by external_userid, userid
),

owners as (
    select
        identifiers.customer_id,
        relationships.userid as owner_userid,
        relationships.external_userid
    from relationships
    inner join identifiers
        on {{ customer_of('identifiers', 'external_userid', 'relationships.external_userid') }}
    left join latest_events
        on
            relationships.external_userid = latest_events.external_userid
            and relationships.userid = latest_events.userid
    left join last_interactions
        on
            relationships.external_userid = last_interactions.external_userid
            and relationships.userid = last_interactions.userid
    where not coalesce(latest_events.is_removed, false)
    qualify row_number() over (
        partition by identifiers.customer_id
        order by
            last_interactions.last_interaction_at desc nulls last,
            relationships.since_at asc nulls last,
            relationships.userid asc,
            relationships.external_userid asc
    ) = 1
),

openid_customers as (
    select distinct customer_id
    from identifiers
    where identifier_type = 'openid'
),

final as (
    select
        coalesce(owners.customer_id, openid_customers.customer_id) as customer_id,
        case when owners.customer_id is not null then 'wecom' else 'miniprogram' end
            as channel,
        owners.owner_userid,
        owners.external_userid
    from owners
    full outer join openid_customers on owners.customer_id = openid_customers.customer_id
)

select * from final
