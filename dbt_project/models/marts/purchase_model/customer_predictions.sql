-- The purchase model's scores as of D (rules §7), one row per customer with a qualifying
-- order: p_alive (BG/NBD), expected_orders_90d (expected purchase days in the next 90
-- days), expected_order_value (Gamma-Gamma expected spend per purchase day, yuan) and
-- clv_365d (expected purchase days in the next 365 days × expected_order_value).
with

predictions as (
    select * from {{ ref('int_purchase_model__predictions') }}
),

final as (
    select
        customer_id,
        p_alive,
        expected_orders_90d,
        expected_order_value,
        clv_365d,
        as_of_date
    from predictions
)

select * from final
