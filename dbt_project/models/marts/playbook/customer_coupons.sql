-- Coupons (playbook §12), one row per customer with a coupon grant counted as of D: granted
-- by the end of D, in its latest version updated by then (a coupon used on D + 1 is still
-- unused as of D). unused_coupons: grants `unused` whose `expires_at` local date is ≥ D;
-- expiring_7d: those expiring in [D, D + var `coupon_expiring_days` (7) - 1]; their earliest
-- expiry date and summed face value. granted_180d: grants dated in the last var
-- `coupon_recent_days` (180) days; used_180d: those of them `used`; redemption_rate_180d =
-- used_180d / granted_180d, null when none was granted.
with

grants as (
    select * from {{ ref('stg_miniprogram__coupon_grants') }}
),

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

counted as (
    select
        identifiers.customer_id,
        grants.status,
        grants.face_value,
        grants.granted_date,
        grants.expires_date,
        grants.status = 'unused' and grants.expires_date >= {{ as_of_date() }} as is_unused
    from grants
    inner join identifiers
        on {{ customer_of('identifiers', 'openid', 'grants.openid') }}
    where grants.granted_date <= {{ as_of_date() }}
),

per_customer as (
    select
        customer_id,
        count(*) filter (where is_unused) as unused_coupons,
        count(*) filter (
            where is_unused
            and expires_date < {{ as_of_date() }} + {{ var('coupon_expiring_days') }}
        ) as expiring_7d,
        min(expires_date) filter (where is_unused) as next_coupon_expiry,
        coalesce(sum(face_value) filter (where is_unused), 0) as unused_face_value,
        count(*) filter (
            where granted_date > {{ as_of_date() }} - {{ var('coupon_recent_days') }}
        ) as granted_180d,
        count(*) filter (
            where granted_date > {{ as_of_date() }} - {{ var('coupon_recent_days') }}
            and status = 'used'
        ) as used_180d
    from counted
    group by customer_id
),

final as (
    select
        customer_id,
        cast(unused_coupons as integer) as unused_coupons,
        cast(expiring_7d as integer) as expiring_7d,
        next_coupon_expiry,
        cast(unused_face_value as decimal(18, 2)) as unused_face_value,
        cast(granted_180d as integer) as granted_180d,
        cast(used_180d as integer) as used_180d,
        cast(used_180d as double) / nullif(granted_180d, 0) as redemption_rate_180d,
        {{ as_of_date() }} as as_of_date
    from per_customer
)

select * from final
