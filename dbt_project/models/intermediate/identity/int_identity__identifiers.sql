{{ config(
    materialized=increment_materialization(),
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
-- found (`cus_` + 16 hex digits of its SHA-256). A night folds the occurrences it recorded
-- into the rows the table holds for their identifiers (a first-seen date only moves earlier,
-- a system seen stays seen), and its post-hook drops the values that became shared
-- (docs/incremental.md).
with

occurrences as (
    select * from {{ ref('int_identity__identifier_occurrences') }}
),

shared as (
    select * from {{ ref('int_identity__shared_identifiers') }}
),

seen as (
    select
        identifier_key,
        identifier_type,
        identifier_value,
        first_seen_date,
        source_system = 'member' as seen_in_member,
        source_system = 'miniprogram' as seen_in_miniprogram,
        source_system = 'wecom' as seen_in_wecom
    from occurrences
    where
        identifier_key is not null
        and {{ added_since(since, ['recorded_as_of']) }}
),

-- the rows the table holds for the night's identifiers (none in a full build)
held as (
    {% if since %}
        select
            identifiers.identifier_key,
            identifiers.identifier_type,
            identifiers.identifier_value,
            identifiers.first_seen_date,
            identifiers.seen_in_member,
            identifiers.seen_in_miniprogram,
            identifiers.seen_in_wecom
        from {{ this }} as identifiers
        semi join seen on identifiers.identifier_key = seen.identifier_key
    {% else %}
        select *
        from seen
        where false
    {% endif %}
),

folded as (
    select * from seen
    union all
    select * from held
),

identifiers as (
    select
        identifier_key,
        identifier_type,
        identifier_value,
        min(first_seen_date) as first_seen_date,
        bool_or(seen_in_member) as seen_in_member,
        bool_or(seen_in_miniprogram) as seen_in_miniprogram,
        bool_or(seen_in_wecom) as seen_in_wecom
    from folded
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
