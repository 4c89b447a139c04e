-- Mini-program order lines as of D: the line from the latest folder dated ≤ D. A night takes
-- every line of each order seen again, from all its versions (docs/incremental.md).
{{ config(
    materialized=increment_materialization(),
    incremental_strategy='delete+insert',
    unique_key='order_id',
    on_schema_change='sync_all_columns',
    pre_hook="{{ reset_increment('miniprogram', 'order_items') }}",
    post_hook="{{ record_increment('miniprogram', 'order_items') }}",
) }}
{%- set since = extract_increment('miniprogram', 'order_items') %}

with

latest as (
    {{ latest_versions(
        source('miniprogram', 'order_items'),
        key='order_id, line_no',
        since=since,
        increment_key='order_id',
    ) }}
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
