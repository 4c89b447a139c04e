-- One row per customer joined by D (rules §6): spend_365d and the value tier, the member
-- system's own tier beside it (`tier_mismatch` when the two differ, compared
-- case-insensitively; never for a non-member), and the change against the tier the
-- customer held in the last published run before this one. customer_tier_history decides:
-- the interval this run opened says `new`, `upgrade` or `downgrade` and the tier before it;
-- without one the tier is the `same` as before. Tier keeping (playbook §13) comes from
-- int_customers__value_tiers.
with

current_tiers as (
    select * from {{ ref('int_customers__value_tiers') }}
),

history as (
    select * from {{ ref('customer_tier_history') }}
),

opened_today as (
    select
        customer_id,
        previous_value_tier,
        tier_change
    from history
    where valid_from = {{ as_of_date() }}
),

final as (
    select
        current_tiers.customer_id,
        current_tiers.spend_365d,
        current_tiers.value_tier,
        current_tiers.member_system_tier,
        coalesce(
            lower(current_tiers.member_system_tier) != current_tiers.value_tier, false
        ) as tier_mismatch,
        case
            when opened_today.customer_id is null then current_tiers.value_tier
            else opened_today.previous_value_tier
        end as previous_value_tier,
        coalesce(opened_today.tier_change, 'same') as tier_change,
        current_tiers.next_value_tier,
        current_tiers.spend_to_next_tier,
        current_tiers.spend_leaving_30d,
        current_tiers.projected_value_tier_30d,
        current_tiers.downgrade_risk,
        {{ as_of_date() }} as as_of_date
    from current_tiers
    left join opened_today on current_tiers.customer_id = opened_today.customer_id
)

select * from final
