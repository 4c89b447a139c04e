-- The lifecycle rule (rules §4), one row per customer joined by D: the T+ journey and the
-- lifecycle stage. journey_day = D - joined_date, staged by var `journey_stages`. The
-- stage: without any qualifying order, `introduction` while the last activity is at most
-- `churned_after_days` ago, else `churned`; with orders, by days since the last one: at
-- most `dormant_after_days` → `growth` (one order ever) or `mature` (two or more); up to
-- `churned_after_days` → `dormant`; more → `churned`. The purchase journey (playbook §9) is
-- anchored on the first qualifying order instead: purchase_journey_day = D -
-- first_order_date, staged by var `purchase_journey_stages`; all three null without one.
-- customer_lifecycle publishes it.
{{ config(materialized='view') }}

with

joined_dates as (
    select * from {{ ref('int_customers__joined_dates') }}
),

order_summary as (
    select * from {{ ref('int_customers__order_summary') }}
),

activity as (
    select * from {{ ref('int_customers__activity') }}
),

population as (
    select
        joined_dates.customer_id,
        joined_dates.joined_date,
        {{ date_diff_days(as_of_date(), 'joined_dates.joined_date') }} as journey_day,
        order_summary.first_order_date,
        {{ date_diff_days(as_of_date(), 'order_summary.first_order_date') }}
            as purchase_journey_day,
        order_summary.last_order_date,
        coalesce(order_summary.order_count, 0) as order_count,
        coalesce(
            greatest(
                order_summary.last_order_date,
                activity.last_event_date,
                activity.last_inbound_date
            ),
            joined_dates.joined_date
        ) as last_active_date
    from joined_dates
    left join order_summary on joined_dates.customer_id = order_summary.customer_id
    left join activity on joined_dates.customer_id = activity.customer_id
    where joined_dates.joined_date <= {{ as_of_date() }}
),

elapsed as (
    select
        *,
        {{ date_diff_days(as_of_date(), 'last_active_date') }} as days_since_active,
        {{ date_diff_days(as_of_date(), 'last_order_date') }} as days_since_order
    from population
),

staged as (
    select
        *,
        {{ journey_stage('journey_day') }} as journey_stage,
        {{ journey_stage('purchase_journey_day', 'purchase_journey_stages') }}
            as purchase_journey_stage,
        case
            when order_count = 0 and days_since_active <= {{ var('churned_after_days') }}
                then 'introduction'
            when order_count = 0 then 'churned'
            when days_since_order <= {{ var('dormant_after_days') }} and order_count = 1
                then 'growth'
            when days_since_order <= {{ var('dormant_after_days') }} then 'mature'
            when days_since_order <= {{ var('churned_after_days') }} then 'dormant'
            else 'churned'
        end as lifecycle_stage
    from elapsed
),

final as (
    select
        customer_id,
        joined_date,
        cast(journey_day as integer) as journey_day,
        journey_stage,
        first_order_date,
        cast(purchase_journey_day as integer) as purchase_journey_day,
        purchase_journey_stage,
        last_order_date,
        last_active_date,
        order_count,
        lifecycle_stage
    from staged
)

select * from final
