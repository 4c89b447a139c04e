-- The identity graph's edges (rules §1): each record's key identifier linked to every other
-- identifier on the same record, over every record version dated ≤ D; one row per pair (a
-- key identifier belongs to one system, so each pair comes from one `source_system`).
with

occurrences as (
    select * from {{ ref('int_identity__identifier_occurrences') }}
),

final as (
    select
        anchor_key as from_key,
        identifier_key as to_key,
        split_part(anchor_key, ':', 1) as from_type,
        identifier_type as to_type,
        source_system,
        min(first_seen_date) as first_seen_date
    from occurrences
    where
        anchor_key is not null
        and identifier_key is not null
        and identifier_key <> anchor_key
    group by all
)

select * from final
