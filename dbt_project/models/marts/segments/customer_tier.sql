-- One row per customer joined by D (rules §6): spend_365d and the value tier, the member
-- system's own tier beside it (`tier_mismatch` when the two differ, compared
-- case-insensitively; never for a non-member), and the change against the tier the
-- customer held in the last run before this one (customer_tier_history): `new` (no tier
-- before), `upgrade`, `downgrade` or `same`.
with

current_tiers as (
    select * from {{ ref('int_customers__value_tiers') }}
),

history as (
    select * from {{ ref('customer_tier_history') }}
),

previous_tiers as (
    select
        customer_id,
        value_tier as previous_value_tier
    from history
    where
        valid_from < {{ as_of_date() }}
        and coalesce(valid_to, {{ as_of_date() }}) >= {{ as_of_date() }}
),

compared as (
    select
        current_tiers.*,
        previous_tiers.previous_value_tier,
        {{ tier_rank('current_tiers.value_tier') }} as tier_rank,
        {{ tier_rank('previous_tiers.previous_value_tier') }} as previous_tier_rank
    from current_tiers
    left join previous_tiers on current_tiers.customer_id = previous_tiers.customer_id
),

final as (
    select
        customer_id,
        spend_365d,
        value_tier,
        member_system_tier,
        coalesce(lower(member_system_tier) != value_tier, false) as tier_mismatch,
        previous_value_tier,
        case
            when previous_value_tier is null then 'new'
            when tier_rank > previous_tier_rank then 'upgrade'
            when tier_rank < previous_tier_rank then 'downgrade'
            else 'same'
        end as tier_change,
        {{ as_of_date() }} as as_of_date
    from compared
)

select * from final
