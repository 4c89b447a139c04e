-- Per customer, the qualifying orders (rules §2) dated ≤ D: first and last order date, count
-- and spend.
with

orders as (
    select * from {{ ref('int_customers__qualifying_orders') }}
),

final as (
    select
        customer_id,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as order_count,
        {{ decimal_sum('amount') }} as total_spend
    from orders
    group by customer_id
)

select * from final
