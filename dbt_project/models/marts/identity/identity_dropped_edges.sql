-- Audit of the shared-identifier guard (rules §1): every edge dropped because one of its ends
-- is shared, with the reason. Build database only: it holds identifier values.
with

edges as (
    select * from {{ ref('int_identity__edges') }}
),

shared as (
    select * from {{ ref('int_identity__shared_identifiers') }}
),

final as (
    select
        edges.from_key,
        edges.to_key,
        coalesce(from_shared.identifier_key, to_shared.identifier_key) as shared_key,
        concat_ws('; ', from_shared.reason, to_shared.reason) as reason,
        edges.first_seen_date,
        edges.source_system,
        {{ as_of_date() }} as as_of_date
    from edges
    left join shared as from_shared on edges.from_key = from_shared.identifier_key
    left join shared as to_shared on edges.to_key = to_shared.identifier_key
    where from_shared.identifier_key is not null or to_shared.identifier_key is not null
)

select * from final
