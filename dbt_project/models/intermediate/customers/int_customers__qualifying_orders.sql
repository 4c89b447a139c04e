-- The qualifying orders (rules §2) dated ≤ D that belong to a customer: what every customer
-- rule of §3-§8 counts. One row per order. A view: a filter of int_customers__orders that
-- each reader scans for the few columns it needs, where a table cost a night at 1M customers
-- ~3 s to write 8M rows again (docs/benchmark.md).
{{ config(materialized='view') }}

with

orders as (
    select * from {{ ref('int_customers__orders') }}
),

final as (
    select
        order_key,
        customer_id,
        order_date,
        amount,
        has_coupon
    from orders
    where
        is_qualifying
        and customer_id is not null
        and order_date <= {{ as_of_date() }}
)

select * from final
