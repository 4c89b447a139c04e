-- Per identifier value as recorded (the openid of mini-program events, the external_userid of
-- WeCom interactions), the first and last date of its events, and the first date of its
-- interactions and the last of its inbound ones, all dated ≤ D: what a customer's joined date
-- and last activity (rules §4) take from these two sources. At 1M customers 27M events come
-- down to one row per openid here, once a night for both models.
with

events as (
    select * from {{ ref('stg_miniprogram__events') }}
),

interactions as (
    select * from {{ ref('stg_wecom__interactions') }}
),

event_dates as (
    select
        'openid' as identifier_type,
        openid as identifier_value,
        min(event_date) as first_event_date,
        max(event_date) as last_event_date,
        cast(null as date) as first_interaction_date,
        cast(null as date) as last_inbound_date
    from events
    group by openid
),

interaction_dates as (
    select
        'external_userid' as identifier_type,
        external_userid as identifier_value,
        cast(null as date) as first_event_date,
        cast(null as date) as last_event_date,
        min(occurred_date) as first_interaction_date,
        max(occurred_date) filter (where direction = 'inbound') as last_inbound_date
    from interactions
    group by external_userid
),

final as (
    select * from event_dates
    union all
    select * from interaction_dates
)

select * from final
