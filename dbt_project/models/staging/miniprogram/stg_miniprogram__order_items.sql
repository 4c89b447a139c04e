-- Mini-program order lines as of D: the line from the latest folder dated ≤ D.
with

source as (
    select * from {{ source('miniprogram', 'order_items') }}
),

latest as (
    select
        *,
        min(_extract_date) over (partition by order_id, line_no) as _first_extract_date
    from source
    where _extract_date <= {{ as_of_date() }}
    qualify row_number() over (
        partition by order_id, line_no order by _extract_date desc, _line desc
    ) = 1
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
