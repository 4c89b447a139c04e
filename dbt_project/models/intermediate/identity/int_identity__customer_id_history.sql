{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['identifier_key', 'valid_from'],
        full_refresh=false,
        pre_hook="{{ rewind_history() }}",
    )
}}
-- The stable customer ids kept across runs (rules §1): which customer each identifier
-- belonged to from which run (valid_from) until which run (valid_to, exclusive; null = still).
-- Each run closes the rows whose identifier changed customer (or left the graph, by becoming
-- shared) and opens rows for the new assignment of int_identity__customer_identifiers, which
-- reads this table for the ids held before D. Never rebuilt by `--full-refresh` (the ids
-- would change); the pre-hook first rewinds what runs dated D or later wrote, so running the
-- same date again changes nothing.
with

assignment as (
    select
        identifier_key,
        customer_id
    from {{ ref('int_identity__customer_identifiers') }}
),

held_before as (
    {% if is_incremental() %}
        select
            identifier_key,
            customer_id,
            valid_from
        from {{ this }}
        where valid_to is null
    {% else %}
        select
            cast(null as string) as identifier_key,
            cast(null as string) as customer_id,
            cast(null as date) as valid_from
        where false
    {% endif %}
),

changed as (
    select
        coalesce(assignment.identifier_key, held_before.identifier_key) as identifier_key,
        held_before.customer_id as customer_id_before,
        held_before.valid_from,
        assignment.customer_id as customer_id_now
    from held_before
    full outer join assignment on held_before.identifier_key = assignment.identifier_key
    where held_before.customer_id is distinct from assignment.customer_id
),

final as (
    select
        identifier_key,
        customer_id_before as customer_id,
        valid_from,
        {{ as_of_date() }} as valid_to
    from changed
    where customer_id_before is not null
    union all
    select
        identifier_key,
        customer_id_now as customer_id,
        {{ as_of_date() }} as valid_from,
        cast(null as date) as valid_to
    from changed
    where customer_id_now is not null
)

select * from final
