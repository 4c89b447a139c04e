-- The edges that survive the shared-identifier guard, as node numbers for the component
-- search.
with

edges as (
    select * from {{ ref('int_identity__edges') }}
),

nodes as (
    select * from {{ ref('int_identity__nodes') }}
),

final as (
    select
        from_node.node_id as from_node_id,
        to_node.node_id as to_node_id
    from edges
    inner join nodes as from_node on edges.from_key = from_node.identifier_key
    inner join nodes as to_node on edges.to_key = to_node.identifier_key
)

select * from final
