-- Mini-program tracking events that happened by the end of D (one row per `event_id`).
{{ config(
    materialized=increment_materialization(),
    incremental_strategy='delete+insert',
    unique_key='event_id',
    on_schema_change='sync_all_columns',
    pre_hook="{{ reset_increment('miniprogram', 'events') }}",
    post_hook="{{ record_increment('miniprogram', 'events') }}",
) }}
{%- set since = extract_increment('miniprogram', 'events') %}

with

latest as (
    {{ latest_versions(
        source('miniprogram', 'events'),
        key='event_id',
        dated='cast(event_at as date)',
        since=since,
    ) }}
),

renamed as (
    select
        event_id,
        openid,
        event_name,
        {{ local_to_utc('event_at') }} as event_at,
        cast(event_at as date) as event_date,
        properties,
        _first_extract_date as first_extract_date,
        _extract_date as extract_date
    from latest
)

select * from renamed
