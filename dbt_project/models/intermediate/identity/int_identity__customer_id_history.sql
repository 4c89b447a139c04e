{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['identifier_key', 'valid_from'],
        full_refresh=false,
        pre_hook="{{ rewind_history() }}",
    )
}}
-- Stable customer ids (rules §1), kept across runs: which customer each identifier belonged
-- to from which run (valid_from) until which run (valid_to, exclusive; null = still).
--
-- Each run takes the components of today's graph and the ids their identifiers held after the
-- last run before D:
--   * a component whose identifiers held no id founds a new one: the candidate id of its
--     earliest-seen identifier (ties: the smallest candidate id), so that a rebuild from the
--     same extracts founds the same ids as the nightly runs did;
--   * a component whose identifiers held exactly one id keeps it;
--   * a component whose identifiers held several ids keeps the one first assigned (ties: the
--     smallest); the others are merged away (see customer_merges);
--   * when an identifier becomes shared and a component splits, an id stays with the part
--     that holds its earliest-seen identifier; the other parts found new ids.
-- An id is never given to anyone else: a candidate id already used founds the id of
-- (identifier, D) instead.
-- The table is never rebuilt from scratch by `--full-refresh` (the ids would change); its
-- pre-hook rewinds runs dated D or later, so a run repeated for a date changes nothing.
with

nodes as (
    select * from {{ ref('int_identity__nodes') }}
),

components as (
    select * from {{ ref('int_identity__components') }}
),

history as (
    {% if is_incremental() %}
        select identifier_key, customer_id, valid_from, valid_to from {{ this }}
    {% else %}
        select
            cast(null as varchar) as identifier_key,
            cast(null as varchar) as customer_id,
            cast(null as date) as valid_from,
            cast(null as date) as valid_to
        where false
    {% endif %}
),

held_before as (
    select identifier_key, customer_id, valid_from
    from history
    where valid_to is null
),

ids_ever_assigned as (
    select
        customer_id,
        min(valid_from) as assigned_on
    from history
    group by customer_id
),

placed as (
    select
        nodes.identifier_key,
        nodes.first_seen_date,
        nodes.candidate_customer_id,
        components.component_id
    from nodes
    inner join components on nodes.node_id = components.node_id
),

id_homes as (
    select
        held_before.customer_id,
        arg_min(
            placed.component_id, (placed.first_seen_date, placed.candidate_customer_id)
        ) as component_id
    from placed
    inner join held_before on placed.identifier_key = held_before.identifier_key
    group by held_before.customer_id
),

survivors as (
    select
        id_homes.component_id,
        arg_min(
            id_homes.customer_id, (ids_ever_assigned.assigned_on, id_homes.customer_id)
        ) as customer_id
    from id_homes
    inner join ids_ever_assigned on id_homes.customer_id = ids_ever_assigned.customer_id
    group by id_homes.component_id
),

founders as (
    select
        component_id,
        arg_min(identifier_key, (first_seen_date, candidate_customer_id)) as identifier_key,
        arg_min(candidate_customer_id, (first_seen_date, candidate_customer_id))
            as candidate_customer_id
    from placed
    group by component_id
),

assigned as (
    select
        founders.component_id,
        case
            when survivors.customer_id is not null then survivors.customer_id
            when ids_ever_assigned.customer_id is null then founders.candidate_customer_id
            else {{ candidate_customer_id(
                "founders.identifier_key || '@' || cast(" ~ as_of_date() ~ " as varchar)"
            ) }}
        end as customer_id
    from founders
    left join survivors on founders.component_id = survivors.component_id
    left join ids_ever_assigned
        on founders.candidate_customer_id = ids_ever_assigned.customer_id
),

held_now as (
    select
        placed.identifier_key,
        assigned.customer_id
    from placed
    inner join assigned on placed.component_id = assigned.component_id
),

closed as (
    select
        held_before.identifier_key,
        held_before.customer_id,
        held_before.valid_from,
        {{ as_of_date() }} as valid_to
    from held_before
    left join held_now on held_before.identifier_key = held_now.identifier_key
    where held_now.customer_id is distinct from held_before.customer_id
),

opened as (
    select
        held_now.identifier_key,
        held_now.customer_id,
        {{ as_of_date() }} as valid_from,
        cast(null as date) as valid_to
    from held_now
    left join held_before on held_now.identifier_key = held_before.identifier_key
    where held_before.customer_id is distinct from held_now.customer_id
),

final as (
    select * from closed
    union all
    select * from opened
)

select * from final
