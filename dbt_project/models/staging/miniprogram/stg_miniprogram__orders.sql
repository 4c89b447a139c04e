-- Mini-program orders as of D: the latest version of each order (latest `updated_at`, then
-- the latest folder) among the versions updated by the end of D.
{{ config(
    materialized=increment_materialization(),
    incremental_strategy='delete+insert',
    unique_key='order_id',
    on_schema_change='sync_all_columns',
    pre_hook="{{ reset_increment('miniprogram', 'orders') }}",
    post_hook="{{ record_increment('miniprogram', 'orders') }}",
) }}
{%- set since = extract_increment('miniprogram', 'orders') %}

with

latest as (
    {{ latest_versions(
        source('miniprogram', 'orders'),
        key='order_id',
        dated='cast(updated_at as date)',
        updated_at='updated_at',
        since=since,
    ) }}
),

renamed as (
    select
        order_id,
        openid,
        order_status,
        total_amount,
        discount_amount,
        paid_amount,
        nullif(trim(coupon_id), '') as coupon_id,
        {{ local_to_utc('created_at') }} as created_at,
        cast(created_at as date) as created_date,
        {{ local_to_utc('paid_at') }} as paid_at,
        cast(paid_at as date) as paid_date,
        {{ local_to_utc('updated_at') }} as updated_at,
        _first_extract_date as first_extract_date,
        _extract_date as extract_date
    from latest
)

select * from renamed
