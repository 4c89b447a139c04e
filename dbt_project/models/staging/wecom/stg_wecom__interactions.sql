-- WeCom interactions (chats, group chats, moments) that happened by the end of D.
{{ config(
    materialized=increment_materialization(),
    incremental_strategy='delete+insert',
    unique_key='interaction_id',
    on_schema_change='sync_all_columns',
    pre_hook="{{ reset_increment('wecom', 'interactions') }}",
    post_hook="{{ record_increment('wecom', 'interactions') }}",
) }}
{%- set since = extract_increment('wecom', 'interactions') %}

with

latest as (
    {{ latest_versions(
        source('wecom', 'interactions'),
        key='interaction_id',
        dated='cast(occurred_at as date)',
        since=since,
    ) }}
),

renamed as (
    select
        interaction_id,
        external_userid,
        userid,
        channel,
        direction,
        {{ local_to_utc('occurred_at') }} as occurred_at,
        cast(occurred_at as date) as occurred_date,
        _first_extract_date as first_extract_date,
        _extract_date as extract_date
    from latest
)

select * from renamed
