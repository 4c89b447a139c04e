{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    unique_key=['from_key', 'to_key'],
    pre_hook="{{ reset_increment(settings=identity_graph_settings()) }}",
    post_hook="{{ record_increment(settings=identity_graph_settings()) }}",
) }}
{%- set since = extract_increment(settings=identity_graph_settings()) %}
-- The identity graph's edges (rules §1): each record's key identifier linked to every other
-- identifier on the same record, over every record version dated ≤ D; one row per pair (a
-- key identifier belongs to one system, so each pair comes from one `source_system`).
-- A night redoes the pairs of the occurrences it recorded, from all their occurrences
-- (docs/incremental.md); an edge never goes away but in a full build.
with

occurrences as (
    select * from {{ ref('int_identity__identifier_occurrences') }}
),

links as (
    select occurrences.*
    from occurrences
    {% if since %}
        semi join occurrences as recorded
            on
                occurrences.anchor_key = recorded.anchor_key
                and occurrences.identifier_key = recorded.identifier_key
                and recorded.recorded_as_of > date '{{ since }}'
    {% endif %}
    where
        occurrences.anchor_key is not null
        and occurrences.identifier_key is not null
        and occurrences.identifier_key <> occurrences.anchor_key
),

final as (
    select
        anchor_key as from_key,
        identifier_key as to_key,
        split_part(anchor_key, ':', 1) as from_type,
        identifier_type as to_type,
        source_system,
        min(first_seen_date) as first_seen_date
    from links
    group by all
)

select * from final
