-- The identity graph's nodes: every identifier seen by D except the shared ones, numbered
-- 0..n-1 for the component search, with the extract date it was first seen on and the
-- customer id it would found (see int_identity__customer_id_history).
with

occurrences as (
    select * from {{ ref('int_identity__identifier_occurrences') }}
),

shared as (
    select * from {{ ref('int_identity__shared_identifiers') }}
),

identifiers as (
    select
        identifier_key,
        identifier_type,
        identifier_value,
        min(first_seen_date) as first_seen_date,
        list(distinct source_system order by source_system) as source_systems
    from occurrences
    where identifier_key is not null
    group by all
),

final as (
    select
        cast(row_number() over (order by identifiers.identifier_key) - 1 as bigint) as node_id,
        identifiers.identifier_key,
        identifiers.identifier_type,
        identifiers.identifier_value,
        identifiers.first_seen_date,
        {{ candidate_customer_id('identifiers.identifier_key') }} as candidate_customer_id,
        identifiers.source_systems
    from identifiers
    left join shared on identifiers.identifier_key = shared.identifier_key
    where shared.identifier_key is null
)

select * from final
