-- The purchase model's per-customer scores of the run as of D.
with

source as (
    select * from {{ source('purchase_model', 'predictions') }}
),

renamed as (
    select
        customer_id,
        cast(p_alive as double) as p_alive,
        cast(expected_orders_90d as double) as expected_orders_90d,
        cast(expected_order_value as double) as expected_order_value,
        cast(clv_365d as double) as clv_365d,
        cast(as_of_date as date) as as_of_date
    from source
    where as_of_date = {{ as_of_date() }}
)

select * from renamed
