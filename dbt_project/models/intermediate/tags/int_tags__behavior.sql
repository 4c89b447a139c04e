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

order_tags as (
    select
        customer_id,
        unnest(list_value(
            case
                when
                    count(*) filter (
                        where order_date > {{ as_of_date() }} - {{ var('tag_high_frequency_days') }}
                    ) >= {{ var('tag_high_frequency_min_orders') }}
                    then 'high_frequency'
            end,
            case
                when
                    coalesce(sum(amount) filter (
                        where order_date > {{ as_of_date() }} - {{ var('tag_big_spender_days') }}
                    ), 0) >= {{ var('tag_big_spender_min_spend') }}
                    then 'big_spender'
            end,
            case
                when
                    count(*) filter (
                        where
                            has_coupon
                            and order_date
                            > {{ as_of_date() }} - {{ var('tag_promo_sensitive_days') }}
                    ) >= {{ var('tag_promo_sensitive_min_orders') }}
                    then 'promo_sensitive'
            end
        )) as tag_value
    from orders
    group by customer_id
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
    where tag_value is not null
    union all
    select
        customer_id,
        tag_value
    from share_tags
)

select * from final
