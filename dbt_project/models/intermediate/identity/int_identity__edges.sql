{{ config(
    materialized=increment_materialization(),
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
-- A night folds the occurrences it recorded into the edges the table holds for their pairs:
-- a first-seen date only moves earlier (docs/incremental.md); an edge never goes away but in
-- a full build.
with

occurrences as (
    select * from {{ ref('int_identity__identifier_occurrences') }}
),

links as (
    select
        anchor_key as from_key,
        identifier_key as to_key,
        split_part(anchor_key, ':', 1) as from_type,
        identifier_type as to_type,
        source_system,
        first_seen_date
    from occurrences
    where
        anchor_key is not null
        and identifier_key is not null
        and identifier_key <> anchor_key
        and {{ added_since(since, ['recorded_as_of']) }}
),

-- the edges the table holds for the night's pairs (none in a full build)
held as (
    {% if since %}
        select
            edges.from_key,
            edges.to_key,
            edges.from_type,
            edges.to_type,
            edges.source_system,
            edges.first_seen_date
        from {{ this }} as edges
        semi join links on edges.from_key = links.from_key and edges.to_key = links.to_key
    {% else %}
        select *
        from links
        where false
    {% endif %}
),

folded as (
    select * from links
    union all
    select * from held
),

final as (
    select
        from_key,
        to_key,
        from_type,
        to_type,
        source_system,
        min(first_seen_date) as first_seen_date
    from folded
    group by all
)

select * from final
