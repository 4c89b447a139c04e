-- The churn rule (rules §5) for every customer it concerns: customers whose last qualifying
-- order is at most `churned_after_days` ago, and lost WeCom contacts. A customer's
-- expected_cycle_days is (last - first order date) / (distinct order dates - 1) when it has
-- orders on two or more distinct dates, else the median of that value over all such
-- customers, else `dormant_after_days`; overdue_ratio = days since the last order /
-- expected_cycle_days. risk_level: high when lost or ratio ≥ `churn_high_ratio`, medium from
-- `churn_medium_ratio`, low from `churn_low_ratio`, else none (the row is left out).
with

orders as (
    select * from {{ ref('int_customers__qualifying_orders') }}
),

lost_contacts as (
    select * from {{ ref('int_customers__lost_contacts') }}
),

order_dates as (
    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(distinct order_date) as distinct_order_dates
    from orders
    group by customer_id
),

own_cycles as (
    select
        *,
        case
            when distinct_order_dates >= 2
                then
                    ({{ date_diff_days('last_order_date', 'first_order_date') }})
                    / (distinct_order_dates - 1)
        end as own_cycle_days
    from order_dates
),

fallback as (
    select
        coalesce(
            median(own_cycle_days),
            cast({{ var('dormant_after_days') }} as double)
        ) as cycle_days
    from own_cycles
),

population as (
    select
        coalesce(own_cycles.customer_id, lost_contacts.customer_id) as customer_id,
        {{ date_diff_days(as_of_date(), 'own_cycles.last_order_date') }} as days_since_last_order,
        cast(coalesce(own_cycles.own_cycle_days, fallback.cycle_days) as double)
            as expected_cycle_days,
        lost_contacts.customer_id is not null as lost_contact
    from own_cycles
    full outer join lost_contacts on own_cycles.customer_id = lost_contacts.customer_id
    cross join fallback
    where
        lost_contacts.customer_id is not null
        or {{ date_diff_days(as_of_date(), 'own_cycles.last_order_date') }}
        <= {{ var('churned_after_days') }}
),

rated as (
    select
        *,
        days_since_last_order / expected_cycle_days as overdue_ratio
    from population
),

risked as (
    select
        customer_id,
        cast(days_since_last_order as integer) as days_since_last_order,
        expected_cycle_days,
        overdue_ratio,
        lost_contact,
        case
            when lost_contact or overdue_ratio >= {{ var('churn_high_ratio') }} then 'high'
            when overdue_ratio >= {{ var('churn_medium_ratio') }} then 'medium'
            when overdue_ratio >= {{ var('churn_low_ratio') }} then 'low'
        end as risk_level
    from rated
),

final as (
    select * from risked
    where risk_level is not null
)

select * from final
