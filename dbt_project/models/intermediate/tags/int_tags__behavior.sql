-- The behaviour tags (rules §8), one row per (customer, tag): each window is the last N days
-- ending with D (D - (N - 1) ... D) and each threshold is included.
-- high_frequency: more than `tag_high_frequency_more_than` qualifying orders in
-- `tag_high_frequency_days` (the seed's 「一月內訂單超3筆」);
-- big_spender: ≥ `tag_big_spender_min_spend` yuan of qualifying orders in `tag_big_spender_days`;
-- promo_sensitive: ≥ `tag_promo_sensitive_min_orders` qualifying orders with a coupon in
-- `tag_promo_sensitive_days`; koc: ≥ `tag_koc_min_shares` `share` events in `tag_koc_days`;
-- activity_sensitive: ≥ `tag_activity_sensitive_min` check-in and coupon-claim events and
-- inbound group-chat interactions in `tag_activity_sensitive_days`, each counting one.
with

orders as (
    select * from {{ ref('int_customers__qualifying_orders') }}
),

events as (
    select * from {{ ref('stg_miniprogram__events') }}
),

interactions as (
    select * from {{ ref('stg_wecom__interactions') }}
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
    where recent_orders > {{ var('tag_high_frequency_more_than') }}
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

participations as (
    select identifiers.customer_id
    from events
    inner join identifiers
        on {{ customer_of('identifiers', 'openid', 'events.openid') }}
    where
        events.event_name in ('checkin', 'coupon_claim')
        and events.event_date > {{ as_of_date() }} - {{ var('tag_activity_sensitive_days') }}
    union all
    select identifiers.customer_id
    from interactions
    inner join identifiers
        on {{ customer_of('identifiers', 'external_userid', 'interactions.external_userid') }}
    where
        interactions.channel = 'group_chat'
        and interactions.direction = 'inbound'
        and interactions.occurred_date
        > {{ as_of_date() }} - {{ var('tag_activity_sensitive_days') }}
),

activity_tags as (
    select
        customer_id,
        'activity_sensitive' as tag_value
    from participations
    group by customer_id
    having count(*) >= {{ var('tag_activity_sensitive_min') }}
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
    union all
    select
        customer_id,
        tag_value
    from activity_tags
)

select * from final
