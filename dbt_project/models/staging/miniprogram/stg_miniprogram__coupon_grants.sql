-- Mini-program coupon grants as of D: the latest version of each grant (latest `updated_at`,
-- then the latest folder) among the versions updated by the end of D.
{{ config(
    materialized=increment_materialization(),
    incremental_strategy='delete+insert',
    unique_key='grant_id',
    on_schema_change='sync_all_columns',
    pre_hook="{{ reset_increment('miniprogram', 'coupon_grants') }}",
    post_hook="{{ record_increment('miniprogram', 'coupon_grants') }}",
) }}
{%- set since = extract_increment('miniprogram', 'coupon_grants') %}

with

latest as (
    {{ latest_versions(
        source('miniprogram', 'coupon_grants'),
        key='grant_id',
        dated='cast(updated_at as date)',
        updated_at='updated_at',
        since=since,
    ) }}
),

renamed as (
    select
        grant_id,
        openid,
        coupon_id,
        coupon_name,
        face_value,
        min_spend,
        {{ local_to_utc('granted_at') }} as granted_at,
        cast(granted_at as date) as granted_date,
        {{ local_to_utc('expires_at') }} as expires_at,
        cast(expires_at as date) as expires_date,
        status,
        nullif(trim(used_order_id), '') as used_order_id,
        {{ local_to_utc('updated_at') }} as updated_at,
        _first_extract_date as first_extract_date,
        _extract_date as extract_date
    from latest
)

select * from renamed
