-- How each customer can be reached as of D (playbook §15), one row per customer with an
-- active WeCom relationship or an openid. A relationship (int_wecom__relationships) is
-- active unless its latest event is `del_follow_user` or `del_external_contact`. channel:
-- `wecom` with an active relationship, else `miniprogram` with an openid. The owner, for
-- `wecom`: of the active relationships, the one with the customer's latest interaction
-- (either direction) dated ≤ D; without interactions the earliest relationship (its
-- `createtime`, or its first contact event when no snapshot holds it), then the smallest
-- `userid`.
with

relationships as (
    select * from {{ ref('int_wecom__relationships') }}
),

interactions as (
    select * from {{ ref('stg_wecom__interactions') }}
),

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
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
        relationships.customer_id,
        relationships.userid as owner_userid,
        relationships.external_userid
    from relationships
    left join last_interactions
        on
            relationships.external_userid = last_interactions.external_userid
            and relationships.userid = last_interactions.userid
    where not relationships.is_removed
    qualify row_number() over (
        partition by relationships.customer_id
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
