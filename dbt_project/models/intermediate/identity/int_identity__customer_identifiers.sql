-- Every identifier of the graph as of D with the customer it belongs to (exactly one; shared
-- identifiers belong to nobody): the open rows of the id history.
with

history as (
    select * from {{ ref('int_identity__customer_id_history') }}
),

nodes as (
    select * from {{ ref('int_identity__nodes') }}
),

final as (
    select
        history.customer_id,
        nodes.identifier_key,
        nodes.identifier_type,
        nodes.identifier_value,
        nodes.first_seen_date,
        nodes.source_systems
    from history
    inner join nodes on history.identifier_key = nodes.identifier_key
    where history.valid_to is null
)

select * from final
