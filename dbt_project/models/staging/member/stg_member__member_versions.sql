-- Every version of every member record in the snapshots dated ≤ D (identity stitching links
-- identifiers seen on any of them); registrations after D do not count yet.
{{ config(
    materialized=increment_materialization(),
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ reset_increment('member', 'members') }}",
    post_hook="{{ record_increment('member', 'members') }}",
) }}
{%- set since = extract_increment('member', 'members') %}

with

source as (
    select * from {{ source('member', 'members') }}
),

renamed as (
    select
        member_id,
        nullif(trim(mobile), '') as mobile,
        nullif(trim(unionid), '') as unionid,
        nullif(trim(name), '') as name,
        gender,
        birthday,
        {{ local_to_utc('registered_at') }} as registered_at,
        cast(registered_at as date) as registered_date,
        register_store_id,
        tier_code,
        points_balance,
        status,
        _extract_date as extract_date,
        _line as source_line
    from source
    where {{ increment_rows(since, dated='cast(registered_at as date)') }}
)

select * from renamed
