-- The value tier of every customer joined by D (rules §6): spend_365d, the qualifying order
-- amounts dated in the RFM window [D - (rfm_window_days - 1), D], and value_tier from it
-- (`normal` below `tier_silver_from`, `silver`, `gold` from `tier_gold_from`, `platinum`
-- from `tier_platinum_from`; each threshold included). member_system_tier is the member
-- system's own `tier_code`, the highest over the customer's members in the newest members
-- snapshot (tiers ranked as in var `tag_catalog`), null for non-members.
-- Tier keeping (playbook §13): the next tier and the spend to reach it (null at platinum);
-- spend_leaving_30d, the qualifying spend dated in the first var `tier_watch_days` (30) days
-- of the window ([D - 364, D - 335]), which leaves it within those days; the tier of what
-- stays (projected_value_tier_30d), and downgrade_risk when it is below value_tier.
with

joined_dates as (
    select * from {{ ref('int_customers__joined_dates') }}
),

orders as (
    select * from {{ ref('int_customers__qualifying_orders') }}
),

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

members as (
    select * from {{ ref('stg_member__members') }}
),

spend as (
    select
        customer_id,
        sum(amount) as spend_365d,
        coalesce(
            sum(amount) filter (
                where order_date <= {{ as_of_date() }}
                - ({{ var('rfm_window_days') }} - {{ var('tier_watch_days') }})
            ),
            0
        ) as spend_leaving_30d
    from orders
    where order_date >= {{ as_of_date() }} - ({{ var('rfm_window_days') }} - 1)
    group by customer_id
),

member_tiers as (
    select
        identifiers.customer_id,
        {{ arg_max_by(
            'members.tier_code', [tier_rank('lower(members.tier_code)')],
        ) }} as member_system_tier
    from members
    inner join identifiers
        on {{ customer_of('identifiers', 'member_id', 'members.member_id') }}
    where members.tier_code is not null
    group by identifiers.customer_id
),

population as (
    select
        joined_dates.customer_id,
        cast(coalesce(spend.spend_365d, 0) as decimal(18, 2)) as spend_365d,
        cast(coalesce(spend.spend_leaving_30d, 0) as decimal(18, 2)) as spend_leaving_30d,
        member_tiers.member_system_tier
    from joined_dates
    left join spend on joined_dates.customer_id = spend.customer_id
    left join member_tiers on joined_dates.customer_id = member_tiers.customer_id
    where joined_dates.joined_date <= {{ as_of_date() }}
),

tiered as (
    select
        *,
        {{ value_tier('spend_365d') }} as value_tier,
        {{ value_tier('spend_365d - spend_leaving_30d') }} as projected_value_tier_30d
    from population
),

final as (
    select
        customer_id,
        spend_365d,
        value_tier,
        member_system_tier,
        {{ next_value_tier('value_tier') }} as next_value_tier,
        cast(
            {{ value_tier_from(next_value_tier('value_tier')) }} - spend_365d
            as decimal(18, 2)
        ) as spend_to_next_tier,
        spend_leaving_30d,
        projected_value_tier_30d,
        {{ tier_rank('projected_value_tier_30d') }} < {{ tier_rank('value_tier') }}
            as downgrade_risk
    from tiered
)

select * from final
