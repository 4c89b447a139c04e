-- The identity graph's nodes: every identifier seen by D except the shared ones, with the
-- extract date it was first seen on, the systems it was seen in, the customer id it would
-- found (`cus_` + 16 hex digits of its SHA-256) and its rank as a founder (0 = seen first,
-- ties: the smallest candidate id), which also numbers the nodes for the stitching step.
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
        bool_or(source_system = 'member') as seen_in_member,
        bool_or(source_system = 'miniprogram') as seen_in_miniprogram,
        bool_or(source_system = 'wecom') as seen_in_wecom
    from occurrences
    where identifier_key is not null
    group by identifier_key, identifier_type, identifier_value
),

unshared as (
    select
        identifiers.*,
        {{ candidate_customer_id('identifiers.identifier_key') }} as candidate_customer_id
    from identifiers
    left join shared on identifiers.identifier_key = shared.identifier_key
    where shared.identifier_key is null
),

final as (
    select
        *,
        row_number() over (order by first_seen_date, candidate_customer_id) - 1 as founder_rank
    from unshared
)

select * from final
