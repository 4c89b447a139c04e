-- Points ledger entries that happened by the end of D (one row per `entry_id`).
{{ config(
    materialized=increment_materialization(),
    incremental_strategy='delete+insert',
    unique_key='entry_id',
    on_schema_change='sync_all_columns',
    pre_hook="{{ reset_increment('member', 'points_ledger') }}",
    post_hook="{{ record_increment('member', 'points_ledger') }}",
) }}
{%- set since = extract_increment('member', 'points_ledger') %}

with

latest as (
    {{ latest_versions(
        source('member', 'points_ledger'),
        key='entry_id',
        dated='cast(occurred_at as date)',
        since=since,
    ) }}
),

renamed as (
    select
        entry_id,
        member_id,
        points_delta,
        reason,
        {{ local_to_utc('occurred_at') }} as occurred_at,
        cast(occurred_at as date) as occurred_date,
        {{ local_to_utc('expires_at') }} as expires_at,
        _first_extract_date as first_extract_date,
        _extract_date as extract_date
    from latest
)

select * from renamed
