-- Mini-program order lines as of D: the line from the latest folder dated ≤ D.
with

source as (
    select * from {{ source('miniprogram', 'order_items') }}
),

latest as (
    {{ latest_versions('source', key='order_id, line_no') }}
),

renamed as (
    select
        order_id,
        line_no,
        sku_id,
        product_name,
        category,
        quantity,
        unit_price,
        _first_extract_date as first_extract_date,
        _extract_date as extract_date
    from latest
)

select * from renamed
