-- The behaviour tags (rules §8), one row per (customer, tag): each window is the last N days
-- ending with D (D - (N - 1) ... D) and each threshold is included.
-- high_frequency: ≥ `tag_high_frequency_min_orders` qualifying orders in `tag_high_frequency_days`;
-- big_spender: ≥ `tag_big_spender_min_spend` yuan of qualifying orders in `tag_big_spender_days`;
-- promo_sensitive: ≥ `tag_promo_sensitive_min_orders` qualifying orders with a coupon in
-- `tag_promo_sensitive_days`; koc: ≥ `tag_koc_min_shares` `share` events in `tag_koc_days`.
with

orders as (
    select * from {{ ref('int_customers__qualifying_orders') }}
),

events as (
    select * from {{ ref('stg_miniprogram__events') }}
),

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

windowed as (
    select
        customer_id,
        amount,
        has_coupon,
        order_date > {{ as_of_date() }} - {{ var('tag_high_frequency_days') }}
            as in_high_frequency_window,
        order_date > {{ as_of_date() }} - {{ var('tag_big_spender_days') }}
            as in_big_spender_window,
        order_date > {{ as_of_date() }} - {{ var('tag_promo_sensitive_days') }}
            as in_promo_sensitive_window
    from orders
),

counted as (
    select
        customer_id,
        count(*) filter (where in_high_frequency_window) as recent_orders,
        coalesce(sum(amount) filter (where in_big_spender_window), 0) as recent_spend,
        count(*) filter (where in_promo_sensitive_window and has_coupon) as coupon_orders
    from windowed
    group by customer_id
),

order_tags as (
    select
        customer_id,
        'high_frequency' as tag_value
    from counted
    where recent_orders >= {{ var('tag_high_frequency_min_orders') }}
    union all
    select
        customer_id,
        'big_spender' as tag_value
    from counted
    where recent_spend >= {{ var('tag_big_spender_min_spend') }}
    union all
    select
        customer_id,
        'promo_sensitive' as tag_value
    from counted
    where coupon_orders >= {{ var('tag_promo_sensitive_min_orders') }}
),

share_tags as (
    select
        identifiers.customer_id,
        'koc' as tag_value
    from events
    inner join identifiers
        on {{ customer_of('identifiers', 'openid', 'events.openid') }}
    where
        events.event_name = 'share'
        and events.event_date > {{ as_of_date() }} - {{ var('tag_koc_days') }}
    group by identifiers.customer_id
    having count(*) >= {{ var('tag_koc_min_shares') }}
),

final as (
    select
        customer_id,
        tag_value
    from order_tags
    union all
    select
        customer_id,
        tag_value
    from share_tags
)

select * from final
