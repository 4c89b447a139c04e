-- Points (playbook §11), one row per customer with a points-ledger entry of any of its member
-- ids dated ≤ D. points_balance: the ledger's sum; member_system_balance: the member
-- system's own `points_balance` summed over the customer's members in the newest members
-- snapshot ≤ D (null without one), and balance_mismatch when the two differ. earned_90d:
-- positive deltas (any reason) dated in the last var `points_recent_days` (90) days;
-- redeemed_90d: minus the `redeem` deltas dated in them. expiring_30d: the smaller of
-- max(points_balance, 0) and the positive deltas whose `expires_at` local date is in
-- [D + 1, D + var `points_expiry_days` (30)]; next_expiry_date: the earliest `expires_at`
-- local date ≥ D + 1 of a positive entry.
with

entries as (
    select * from {{ ref('stg_member__points_entries') }}
),

members as (
    select * from {{ ref('stg_member__members') }}
),

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

ledger as (
    select
        identifiers.customer_id,
        entries.points_delta,
        entries.reason,
        entries.occurred_date,
        {{ local_date('entries.expires_at') }} as expires_date
    from entries
    inner join identifiers
        on {{ customer_of('identifiers', 'member_id', 'entries.member_id') }}
    where entries.occurred_date <= {{ as_of_date() }}
),

balances as (
    select
        customer_id,
        sum(points_delta) as points_balance,
        coalesce(
            sum(points_delta) filter (
                where points_delta > 0
                and occurred_date > {{ as_of_date() }} - {{ var('points_recent_days') }}
            ),
            0
        ) as earned_90d,
        coalesce(
            -sum(points_delta) filter (
                where reason = 'redeem'
                and occurred_date > {{ as_of_date() }} - {{ var('points_recent_days') }}
            ),
            0
        ) as redeemed_90d,
        coalesce(
            sum(points_delta) filter (
                where points_delta > 0
                and expires_date > {{ as_of_date() }}
                and expires_date <= {{ as_of_date() }} + {{ var('points_expiry_days') }}
            ),
            0
        ) as expiring_points,
        min(expires_date) filter (
            where points_delta > 0 and expires_date > {{ as_of_date() }}
        ) as next_expiry_date
    from ledger
    group by customer_id
),

member_balances as (
    select
        identifiers.customer_id,
        sum(members.points_balance) as member_system_balance
    from members
    inner join identifiers
        on {{ customer_of('identifiers', 'member_id', 'members.member_id') }}
    group by identifiers.customer_id
),

final as (
    select
        balances.customer_id,
        cast(balances.points_balance as bigint) as points_balance,
        cast(member_balances.member_system_balance as bigint) as member_system_balance,
        coalesce(
            member_balances.member_system_balance != balances.points_balance, false
        ) as balance_mismatch,
        cast(balances.earned_90d as bigint) as earned_90d,
        cast(balances.redeemed_90d as bigint) as redeemed_90d,
        cast(
            least(greatest(balances.points_balance, 0), balances.expiring_points) as bigint
        ) as expiring_30d,
        balances.next_expiry_date,
        {{ as_of_date() }} as as_of_date
    from balances
    left join member_balances on balances.customer_id = member_balances.customer_id
)

select * from final
