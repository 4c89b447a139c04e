-- The LTV levers by month (playbook §14), the seed's LTV = 用户基数 × 人均客单价 × 人均购买次数:
-- one row per calendar month from the month of the earliest joined_date to D's month, each
-- month m read from its first day m0 to m1 = the smaller of its last day and D (D's month is
-- month to date). customer_base: customers joined by m1; orders and revenue: qualifying
-- orders dated in [m0, m1] as of D (a refund on D rewrites earlier months), so revenue =
-- customer_base × average_order_value × orders_per_customer. A ratio over 0 is null, and
-- so is a log change where either month's value is null or 0 (the first month's).
with

joined_dates as (
    select * from {{ ref('int_customers__joined_dates') }}
),

orders as (
    select * from {{ ref('int_customers__qualifying_orders') }}
),

order_summary as (
    select * from {{ ref('int_customers__order_summary') }}
),

contact_events as (
    select * from {{ ref('stg_wecom__contact_events') }}
),

customers as (
    select
        joined_dates.customer_id,
        joined_dates.joined_date,
        order_summary.first_order_date
    from joined_dates
    left join order_summary on joined_dates.customer_id = order_summary.customer_id
    where joined_dates.joined_date <= {{ as_of_date() }}
),

months as (
    select
        cast(series.month_start as date) as month,
        least(
            cast(series.month_start + interval 1 month - interval 1 day as date),
            {{ as_of_date() }}
        ) as month_end
    from {{ month_series('(select min(customers.joined_date) from customers)', as_of_date()) }}
),

joins as (
    select
        date_trunc('month', joined_date) as month,
        count(*) as new_customers,
        count(*) filter (
            where first_order_date between joined_date and joined_date + 29
        ) as converted_customers
    from customers
    group by all
),

customer_months as (
    select
        orders.customer_id,
        date_trunc('month', orders.order_date) as month,
        count(*) as orders,
        sum(orders.amount) as revenue,
        min(order_summary.first_order_date) as first_order_date
    from orders
    inner join order_summary on orders.customer_id = order_summary.customer_id
    group by all
),

sales as (
    select
        month,
        sum(orders) as orders,
        sum(revenue) as revenue,
        count(*) as buyers,
        count(*) filter (where first_order_date < month) as returning_buyers,
        count(*) filter (where orders >= 2) as repeat_buyers
    from customer_months
    group by month
),

wecom as (
    select
        date_trunc('month', changed_date) as month,
        count(*) filter (where change_type = 'add_external_contact') as wecom_adds,
        count(*) filter (where change_type = 'del_follow_user') as wecom_removals
    from contact_events
    where changed_date <= {{ as_of_date() }}
    group by all
),

monthly as (
    select
        months.month,
        months.month_end,
        coalesce(joins.new_customers, 0) as new_customers,
        joins.converted_customers,
        coalesce(sales.orders, 0) as orders,
        coalesce(sales.revenue, 0) as revenue,
        coalesce(sales.buyers, 0) as buyers,
        coalesce(sales.returning_buyers, 0) as returning_buyers,
        sales.repeat_buyers,
        coalesce(wecom.wecom_adds, 0) as wecom_adds,
        coalesce(wecom.wecom_removals, 0) as wecom_removals
    from months
    left join joins on months.month = joins.month
    left join sales on months.month = sales.month
    left join wecom on months.month = wecom.month
),

-- every joined_date is ≤ D and in a month of the series: the base is the running count
based as (
    select
        *,
        sum(new_customers) over (order by month) as customer_base
    from monthly
),

ratios as (
    select
        *,
        cast(revenue as double) / nullif(orders, 0) as average_order_value,
        cast(orders as double) / nullif(customer_base, 0) as orders_per_customer,
        cast(repeat_buyers as double) / nullif(buyers, 0) as repurchase_rate,
        cast(converted_customers as double) / nullif(new_customers, 0)
            as first_order_conversion_30d
    from based
),

changes as (
    select
        *,
        {{ log_change('customer_base') }} as base_log_change,
        {{ log_change('average_order_value') }} as aov_log_change,
        {{ log_change('orders_per_customer') }} as frequency_log_change
    from ratios
),

final as (
    select
        month,
        month_end = {{ as_of_date() }} as is_month_to_date,
        cast(customer_base as bigint) as customer_base,
        cast(new_customers as bigint) as new_customers,
        cast(orders as bigint) as orders,
        cast(revenue as decimal(18, 2)) as revenue,
        cast(buyers as bigint) as buyers,
        cast(returning_buyers as bigint) as returning_buyers,
        average_order_value,
        orders_per_customer,
        repurchase_rate,
        first_order_conversion_30d,
        cast(wecom_adds as bigint) as wecom_adds,
        cast(wecom_removals as bigint) as wecom_removals,
        base_log_change,
        aov_log_change,
        frequency_log_change,
        {{ as_of_date() }} as as_of_date
    from changes
)

select * from final
