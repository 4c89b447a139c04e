{{ config(
    materialized=increment_materialization(),
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    unique_key='identifier_key',
    pre_hook="{{ reset_increment(settings=identity_graph_settings()) }}",
    post_hook="{{ record_increment(settings=identity_graph_settings()) }}",
) }}
{%- set since = extract_increment(settings=identity_graph_settings()) %}
{#- every edge in a full build -#}
{%- set every_edge = 'false' if since else 'true' %}
-- Shared identifiers (rules §1): a value directly linked to more than `identity_max_links`
-- distinct values of any one other type (a store's phone typed into 40 member records). All
-- its edges are dropped; the value joins nobody. A night only counts again the links of the
-- ends of the pairs it recorded: edges only come (docs/incremental.md), so a shared value
-- stays shared until a full build.
with

occurrences as (
    select * from {{ ref('int_identity__identifier_occurrences') }}
),

edges as (
    select * from {{ ref('int_identity__edges') }}
),

-- the ends of the edges a night recorded (none in a full build, which counts every edge)
recorded_ends as (
    {% if since %}
        select anchor_key as identifier_key
        from occurrences
        where {{ added_since(since, ['recorded_as_of']) }} and identifier_key is not null
        union
        select identifier_key
        from occurrences
        where {{ added_since(since, ['recorded_as_of']) }} and anchor_key is not null
    {% else %}
        select identifier_key
        from occurrences
        where false
    {% endif %}
),

directed as (
    select
        from_key as identifier_key,
        from_type as identifier_type,
        to_key as neighbour_key,
        to_type as neighbour_type
    from edges
    where
        {{ every_edge }}
        or edges.from_key in (select recorded_ends.identifier_key from recorded_ends)
    union
    select
        to_key as identifier_key,
        to_type as identifier_type,
        from_key as neighbour_key,
        from_type as neighbour_type
    from edges
    where
        {{ every_edge }}
        or edges.to_key in (select recorded_ends.identifier_key from recorded_ends)
),

links as (
    select
        identifier_key,
        identifier_type,
        neighbour_type,
        count(distinct neighbour_key) as link_count
    from directed
    where neighbour_type <> identifier_type
    group by all
),

-- per shared value, the type it has most links to (ties: the first type by name)
final as (
    select
        identifier_key,
        identifier_type,
        {{ arg_min_by('neighbour_type', ['-link_count', 'neighbour_type']) }} as neighbour_type,
        max(link_count) as link_count,
        {{ format_text('shared {}: linked to {} distinct {} values (more than {})', [
            'identifier_type',
            'max(link_count)',
            arg_min_by('neighbour_type', ['-link_count', 'neighbour_type']),
            var('identity_max_links'),
        ]) }} as reason
    from links
    where link_count > {{ var('identity_max_links') }}
    group by identifier_key, identifier_type
)

select * from final
