-- Every tag of every customer as of D (rules §8), one row per (customer, tag group, tag
-- value): the rule tags (lifecycle stage, T+ journey stage, RFM segment, value tier, churn
-- risk, behaviour, channel preference, and the playbook's purchase journey, replenishment
-- (the most urgent category: run_out before due_soon), points, coupon and tier watch
-- (downgrade_risk, else near_upgrade)) labelled from var `tag_catalog`, and the tags
-- WeCom staff put on the customer in the newest contact snapshot, passed through with the
-- WeCom group name as `tag_group`, the tag name as value and label, `tag_source` = `wecom`.
with

lifecycle as (
    select * from {{ ref('customer_lifecycle') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

value_tiers as (
    select * from {{ ref('int_customers__value_tiers') }}
),

churn_risk as (
    select * from {{ ref('int_customers__churn_risk') }}
),

behavior as (
    select * from {{ ref('int_tags__behavior') }}
),

channel_preference as (
    select * from {{ ref('int_tags__channel_preference') }}
),

replenishment as (
    select * from {{ ref('customer_replenishment') }}
),

points as (
    select * from {{ ref('customer_points') }}
),

coupons as (
    select * from {{ ref('customer_coupons') }}
),

contact_tags as (
    select * from {{ ref('stg_wecom__contact_tags') }}
),

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

rule_tags as (
    select
        customer_id,
        'lifecycle' as tag_group,
        lifecycle_stage as tag_value
    from lifecycle
    union all
    select
        customer_id,
        'journey_stage' as tag_group,
        journey_stage as tag_value
    from lifecycle
    union all
    select
        customer_id,
        'rfm_segment' as tag_group,
        rfm_segment as tag_value
    from rfm
    union all
    select
        customer_id,
        'value_tier' as tag_group,
        value_tier as tag_value
    from value_tiers
    union all
    select
        customer_id,
        'churn_risk' as tag_group,
        risk_level as tag_value
    from churn_risk
    union all
    select
        customer_id,
        'behavior' as tag_group,
        tag_value
    from behavior
    union all
    select
        customer_id,
        'channel_preference' as tag_group,
        tag_value
    from channel_preference
    union all
    select
        customer_id,
        'purchase_journey' as tag_group,
        purchase_journey_stage as tag_value
    from lifecycle
    where purchase_journey_stage is not null
    union all
    select
        customer_id,
        'replenishment' as tag_group,
        case
            when bool_or(replenishment_status = 'run_out') then 'run_out' else 'due_soon'
        end as tag_value
    from replenishment
    where replenishment_status in ('due_soon', 'run_out')
    group by customer_id
    union all
    select
        customer_id,
        'points' as tag_group,
        'expiring_soon' as tag_value
    from points
    where expiring_30d >= {{ var('points_expiring_min') }}
    union all
    select
        customer_id,
        'coupon' as tag_group,
        'expiring_soon' as tag_value
    from coupons
    where expiring_7d >= 1
    union all
    select
        customer_id,
        'tier_watch' as tag_group,
        case when downgrade_risk then 'downgrade_risk' else 'near_upgrade' end as tag_value
    from value_tiers
    where
        downgrade_risk
        or spend_to_next_tier <= {{ var('tier_near_upgrade_spend') }}
),

labelled_rule_tags as (
    select
        customer_id,
        tag_group,
        tag_value,
        {{ tag_label('tag_group', 'tag_value') }} as tag_label_zh,
        'rule' as tag_source
    from rule_tags
),

wecom_tags as (
    select distinct
        identifiers.customer_id,
        contact_tags.group_name as tag_group,
        contact_tags.tag_name as tag_value,
        contact_tags.tag_name as tag_label_zh,
        'wecom' as tag_source
    from contact_tags
    inner join identifiers
        on {{ customer_of('identifiers', 'external_userid', 'contact_tags.external_userid') }}
),

all_tags as (
    select * from labelled_rule_tags
    union all
    select * from wecom_tags
),

final as (
    select
        *,
        {{ as_of_date() }} as as_of_date
    from all_tags
)

select * from final
