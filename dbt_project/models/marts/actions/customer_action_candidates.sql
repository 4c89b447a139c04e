-- Every action the run proposes (playbook §15), before cooldowns and the contact policy: one
-- row per (customer in the lifecycle population, enabled action of the catalog seed
-- `action_catalog`) whose rule fires as of D, with its subject (the most urgent category for
-- replenishment_reminder, smallest days_until_due then category name; the risk level for
-- churn_recall). A build-only table: customer_action_history applies the policy to it.
with

catalog as (
    select * from {{ ref('action_catalog') }}
),

lifecycle as (
    select * from {{ ref('customer_lifecycle') }}
),

churn_risk as (
    select * from {{ ref('int_customers__churn_risk') }}
),

replenishment as (
    select * from {{ ref('customer_replenishment') }}
),

coupons as (
    select * from {{ ref('customer_coupons') }}
),

points as (
    select * from {{ ref('customer_points') }}
),

tiers as (
    select * from {{ ref('customer_tier') }}
),

golden as (
    select * from {{ ref('int_customers__golden_record') }}
),

most_urgent_categories as (
    select
        customer_id,
        {{ arg_min_by('category', ['days_until_due', 'category']) }} as category
    from replenishment
    where replenishment_status in ('due_soon', 'run_out')
    group by customer_id
),

birthdays as (
    select
        customer_id,
        birthday,
        {{ birthday_in('birthday', 'year(' ~ as_of_date() ~ ')') }} as this_year,
        {{ birthday_in('birthday', 'year(' ~ as_of_date() ~ ') + 1') }} as next_year
    from golden
    where birthday is not null
),

fired as (
    select
        customer_id,
        'welcome' as action,
        cast(null as string) as subject
    from lifecycle
    where journey_stage = 'T+0'
    union all
    select
        customer_id,
        'repurchase_coupon' as action,
        cast(null as string) as subject
    from lifecycle
    where purchase_journey_stage = 'T+21' and order_count = 1
    union all
    select
        customer_id,
        'first_order_nudge' as action,
        cast(null as string) as subject
    from lifecycle
    where order_count = 0 and journey_stage in ('T+3', 'T+7')
    union all
    select
        customer_id,
        'churn_recall' as action,
        risk_level as subject
    from churn_risk
    where risk_level in ('medium', 'high') and not lost_contact
    union all
    select
        customer_id,
        'replenishment_reminder' as action,
        category as subject
    from most_urgent_categories
    union all
    select
        customer_id,
        'coupon_expiry_reminder' as action,
        cast(null as string) as subject
    from coupons
    where expiring_7d >= 1
    union all
    select
        customer_id,
        'points_expiry_reminder' as action,
        cast(null as string) as subject
    from points
    where expiring_30d >= {{ var('points_expiring_min') }}
    union all
    select
        customer_id,
        'tier_keep' as action,
        cast(null as string) as subject
    from tiers
    where downgrade_risk
    union all
    select
        customer_id,
        'birthday_care' as action,
        cast(null as string) as subject
    from birthdays
    where
        this_year between {{ as_of_date() }} and {{ as_of_date() }} + 6
        or next_year between {{ as_of_date() }} and {{ as_of_date() }} + 6
    union all
    select
        customer_id,
        'vip_group_invite' as action,
        cast(null as string) as subject
    from lifecycle
    where purchase_journey_stage = 'T+1'
    union all
    select
        customer_id,
        'cross_sell' as action,
        cast(null as string) as subject
    from lifecycle
    where purchase_journey_stage = 'T+7'
),

final as (
    select
        fired.customer_id,
        fired.action,
        catalog.label_zh as action_zh,
        fired.subject,
        catalog.priority,
        catalog.cooldown_days
    from fired
    inner join catalog on fired.action = catalog.action
    semi join lifecycle on fired.customer_id = lifecycle.customer_id
    where catalog.enabled
)

select * from final
