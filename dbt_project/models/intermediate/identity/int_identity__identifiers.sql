{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    unique_key='identifier_key',
    pre_hook="{{ reset_increment(settings=identity_graph_settings()) }}",
    post_hook=[
        "{{ drop_shared_identifiers() }}",
        "{{ record_increment(settings=identity_graph_settings()) }}",
    ],
) }}
{%- set since = extract_increment(settings=identity_graph_settings()) %}
-- The identity graph's nodes: every identifier seen by D except the shared ones, with the
-- extract date it was first seen on, the systems it was seen in and the customer id it would
-- found (`cus_` + 16 hex digits of its SHA-256). A night redoes the identifiers of the
-- occurrences it recorded, from all their occurrences, and its post-hook drops the values
-- that became shared (docs/incremental.md).
with

occurrences as (
    select * from {{ ref('int_identity__identifier_occurrences') }}
),

shared as (
    select * from {{ ref('int_identity__shared_identifiers') }}
),

seen as (
    select occurrences.*
    from occurrences
    {% if since %}
        semi join occurrences as recorded
            on
                occurrences.identifier_key = recorded.identifier_key
                and recorded.recorded_as_of > date '{{ since }}'
    {% endif %}
    where occurrences.identifier_key is not null
),

identifiers as (
    select
        identifier_key,
        identifier_type,
        identifier_value,
        min(first_seen_date) as first_seen_date,
        bool_or(source_system = 'member') as seen_in_member,
        bool_or(source_system = 'miniprogram') as seen_in_miniprogram,
        bool_or(source_system = 'wecom') as seen_in_wecom
    from seen
    group by identifier_key, identifier_type, identifier_value
),

final as (
    select
        identifiers.*,
        {{ candidate_customer_id('identifiers.identifier_key') }} as candidate_customer_id
    from identifiers
    left join shared on identifiers.identifier_key = shared.identifier_key
    where shared.identifier_key is null
)

select * from final
