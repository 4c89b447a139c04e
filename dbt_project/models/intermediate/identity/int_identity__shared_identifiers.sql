-- Shared identifiers (rules §1): a value directly linked to more than `identity_max_links`
-- distinct values of any one other type (a store's phone typed into 40 member records). All
-- its edges are dropped; the value joins nobody.
with

edges as (
    select * from {{ ref('int_identity__edges') }}
),

directed as (
    select
        from_key as identifier_key,
        from_type as identifier_type,
        to_key as neighbour_key,
        to_type as neighbour_type
    from edges
    union
    select
        to_key as identifier_key,
        to_type as identifier_type,
        from_key as neighbour_key,
        from_type as neighbour_type
    from edges
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

final as (
    select
        identifier_key,
        identifier_type,
        arg_max(neighbour_type, link_count) as neighbour_type,
        max(link_count) as link_count,
        format(
            'shared {}: linked to {} distinct {} values (more than {})',
            identifier_type,
            max(link_count),
            arg_max(neighbour_type, link_count),
            {{ var('identity_max_links') }}
        ) as reason
    from links
    where link_count > {{ var('identity_max_links') }}
    group by identifier_key, identifier_type
)

select * from final
