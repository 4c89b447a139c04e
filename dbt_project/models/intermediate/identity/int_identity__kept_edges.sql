{{ config(materialized='view') }}
-- The edges that survive the shared-identifier guard: both ends unshared. A view: a night
-- adds a few edges and shares a few values, and the stitching reads those edges alone.
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
        edges.to_key
    from edges
    left join shared as from_shared on edges.from_key = from_shared.identifier_key
    left join shared as to_shared on edges.to_key = to_shared.identifier_key
    where from_shared.identifier_key is null and to_shared.identifier_key is null
)

select * from final
