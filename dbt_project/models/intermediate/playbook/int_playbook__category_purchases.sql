-- The purchases of a category (playbook §10), one row per (customer, category, local date):
-- a qualifying mini-program order of the customer dated d (≤ D) with at least one line whose
-- trimmed `category` is c. An empty category is none. Only mini-program orders carry lines.
with

orders as (
    select * from {{ ref('int_customers__orders') }}
),

order_items as (
    select * from {{ ref('stg_miniprogram__order_items') }}
),

lines as (
    select distinct
        order_id,
        nullif(trim(category), '') as category
    from order_items
),

final as (
    select distinct
        orders.customer_id,
        lines.category,
        orders.order_date as purchase_date
    from orders
    inner join lines on orders.order_id = lines.order_id
    where
        orders.source_system = 'miniprogram'
        and orders.is_qualifying
        and orders.customer_id is not null
        and orders.order_date <= {{ as_of_date() }}
        and lines.category is not null
)

select * from final
