-- Every version of every mini-program user in the snapshots dated ≤ D (identity stitching
-- links identifiers seen on any of them); registrations after D do not count yet.
{{ config(
    materialized=increment_materialization(),
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ reset_increment('miniprogram', 'users') }}",
    post_hook="{{ record_increment('miniprogram', 'users') }}",
) }}
{%- set since = extract_increment('miniprogram', 'users') %}

with

source as (
    select * from {{ source('miniprogram', 'users') }}
),

renamed as (
    select
        openid,
        nullif(trim(unionid), '') as unionid,
        nullif(trim(mobile), '') as mobile,
        nickname,
        {{ local_to_utc('registered_at') }} as registered_at,
        cast(registered_at as date) as registered_date,
        _extract_date as extract_date,
        _file as source_file,
        _line as source_line
    from source
    where {{ increment_rows(since, dated='cast(registered_at as date)') }}
)

select * from renamed
