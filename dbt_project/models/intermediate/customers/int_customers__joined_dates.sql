-- Per customer, `joined_date` (rules §4): the local date of the earliest of any WeCom
-- `follow_user.createtime`, member `registered_at`, mini-program `registered_at`, first
-- qualifying order, first event and first interaction, all dated ≤ D.
with

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

follow_user_versions as (
    select * from {{ ref('stg_wecom__follow_user_versions') }}
),

member_versions as (
    select * from {{ ref('stg_member__member_versions') }}
),

user_versions as (
    select * from {{ ref('stg_miniprogram__user_versions') }}
),

events as (
    select * from {{ ref('stg_miniprogram__events') }}
),

interactions as (
    select * from {{ ref('stg_wecom__interactions') }}
),

order_summary as (
    select * from {{ ref('int_customers__order_summary') }}
),

firsts as (
    select
        identifiers.customer_id,
        min(follow_user_versions.created_date) as first_date
    from follow_user_versions
    inner join identifiers
        on {{ customer_of(
            'identifiers', 'external_userid', 'follow_user_versions.external_userid'
        ) }}
    group by identifiers.customer_id
    union all
    select
        identifiers.customer_id,
        min(member_versions.registered_date) as first_date
    from member_versions
    inner join identifiers
        on {{ customer_of('identifiers', 'member_id', 'member_versions.member_id') }}
    group by identifiers.customer_id
    union all
    select
        identifiers.customer_id,
        min(user_versions.registered_date) as first_date
    from user_versions
    inner join identifiers
        on {{ customer_of('identifiers', 'openid', 'user_versions.openid') }}
    group by identifiers.customer_id
    union all
    select
        identifiers.customer_id,
        min(events.event_date) as first_date
    from events
    inner join identifiers
        on {{ customer_of('identifiers', 'openid', 'events.openid') }}
    group by identifiers.customer_id
    union all
    select
        identifiers.customer_id,
        min(interactions.occurred_date) as first_date
    from interactions
    inner join identifiers
        on {{ customer_of('identifiers', 'external_userid', 'interactions.external_userid') }}
    group by identifiers.customer_id
    union all
    select
        customer_id,
        first_order_date as first_date
    from order_summary
),

final as (
    select
        customer_id,
        min(first_date) as joined_date
    from firsts
    group by customer_id
)

select * from final
