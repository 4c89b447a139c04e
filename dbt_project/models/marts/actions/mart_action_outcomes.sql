-- What the actions earned (playbook §16), one row per (issue date d, action) over the
-- `issued` and `control` rows of earlier published runs with d ≤ D - var
-- `outcome_window_days` (14), so every row is final: the customers of each group, those with
-- a qualifying order dated in [d, d + 13] (converted) and their summed `paid_amount` in that
-- window, each group's conversion rate (null when the group is empty) and the uplift, the
-- issued rate minus the control rate (null when either is).
with

history as (
    select * from {{ ref('customer_action_history') }}
),

orders as (
    select * from {{ ref('int_customers__qualifying_orders') }}
),

given as (
    select
        customer_id,
        action,
        status,
        as_of_date as issue_date
    from history
    where
        status in ('issued', 'control')
        and as_of_date <= {{ as_of_date() }} - {{ var('outcome_window_days') }}
),

per_customer as (
    select
        given.issue_date,
        given.action,
        given.status,
        given.customer_id,
        count(orders.customer_id) > 0 as converted,
        coalesce(sum(orders.amount), 0) as revenue
    from given
    left join orders
        on
            given.customer_id = orders.customer_id
            and orders.order_date between given.issue_date
            and given.issue_date + ({{ var('outcome_window_days') }} - 1)
    group by given.issue_date, given.action, given.status, given.customer_id
),

groups as (
    select
        issue_date,
        action,
        count(*) filter (where status = 'issued') as issued,
        count(*) filter (where status = 'control') as control,
        count(*) filter (where status = 'issued' and converted) as issued_converted,
        count(*) filter (where status = 'control' and converted) as control_converted,
        coalesce(sum(revenue) filter (where status = 'issued'), 0) as issued_revenue,
        coalesce(sum(revenue) filter (where status = 'control'), 0) as control_revenue
    from per_customer
    group by issue_date, action
),

rates as (
    select
        *,
        cast(issued_converted as double) / nullif(issued, 0) as conversion_rate_issued,
        cast(control_converted as double) / nullif(control, 0) as conversion_rate_control
    from groups
),

final as (
    select
        issue_date,
        action,
        cast(issued as bigint) as issued,
        cast(control as bigint) as control,
        cast(issued_converted as bigint) as issued_converted,
        cast(control_converted as bigint) as control_converted,
        cast(issued_revenue as decimal(18, 2)) as issued_revenue,
        cast(control_revenue as decimal(18, 2)) as control_revenue,
        conversion_rate_issued,
        conversion_rate_control,
        conversion_rate_issued - conversion_rate_control as uplift,
        {{ as_of_date() }} as as_of_date
    from rates
)

select * from final
