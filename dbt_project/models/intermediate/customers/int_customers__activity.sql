-- Per customer, the dates of activity that count for the lifecycle (rules §4): the last
-- mini-program event and the last inbound WeCom interaction (the customer reaching out to
-- us), both dated ≤ D. Orders are in int_customers__order_summary.
with

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

identifier_dates as (
    select * from {{ ref('int_customers__identifier_dates') }}
),

-- Per identifier value as recorded first, then per customer: the join (on the trimmed value)
-- only sees the identifiers.
event_openids as (
    select
        identifier_value as openid,
        last_event_date
    from identifier_dates
    where identifier_type = 'openid'
),

inbound_contacts as (
    select
        identifier_value as external_userid,
        last_inbound_date
    from identifier_dates
    where identifier_type = 'external_userid' and last_inbound_date is not null
),

last_events as (
    select
        identifiers.customer_id,
        max(event_openids.last_event_date) as last_event_date
    from event_openids
    inner join identifiers
        on {{ customer_of('identifiers', 'openid', 'event_openids.openid') }}
    group by identifiers.customer_id
),

last_inbound as (
    select
        identifiers.customer_id,
        max(inbound_contacts.last_inbound_date) as last_inbound_date
    from inbound_contacts
    inner join identifiers
        on {{ customer_of('identifiers', 'external_userid', 'inbound_contacts.external_userid') }}
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
