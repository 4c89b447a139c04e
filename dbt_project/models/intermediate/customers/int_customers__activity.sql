-- Per customer, the dates of activity that count for the lifecycle (rules §4): the last
-- mini-program event and the last inbound WeCom interaction (the customer reaching out to
-- us), both dated ≤ D. Orders are in int_customers__order_summary.
with

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

events as (
    select * from {{ ref('stg_miniprogram__events') }}
),

interactions as (
    select * from {{ ref('stg_wecom__interactions') }}
),

last_events as (
    select
        identifiers.customer_id,
        max(events.event_date) as last_event_date
    from events
    inner join identifiers
        on {{ customer_of('identifiers', 'openid', 'events.openid') }}
    group by identifiers.customer_id
),

last_inbound as (
    select
        identifiers.customer_id,
        max(interactions.occurred_date) as last_inbound_date
    from interactions
    inner join identifiers
        on {{ customer_of('identifiers', 'external_userid', 'interactions.external_userid') }}
    where interactions.direction = 'inbound'
    group by identifiers.customer_id
),

final as (
    select
        coalesce(last_events.customer_id, last_inbound.customer_id) as customer_id,
        last_events.last_event_date,
        last_inbound.last_inbound_date
    from last_events
    full outer join last_inbound on last_events.customer_id = last_inbound.customer_id
)

select * from final
