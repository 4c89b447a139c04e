-- Every WeCom relationship of a customer as of D, one row per (staff `userid`,
-- `external_userid`) pair seen in any contact snapshot or contact event dated ≤ D: since when
-- (its `createtime`, or its first contact event when no snapshot holds it) and how its latest
-- event left it. When several events share the latest second, the pair counts as removed
-- only if all of them are removals: `removed_by_customer` (`del_follow_user`, the customer
-- removed or blocked the staff member: rules §5's lost contact) and `is_removed` (that or
-- `del_external_contact`, the staff member removed the customer: playbook §15's inactive
-- relationship). A pair without events is not removed.
with

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

follow_user_versions as (
    select * from {{ ref('stg_wecom__follow_user_versions') }}
),

contact_events as (
    select * from {{ ref('stg_wecom__contact_events') }}
),

snapshot_pairs as (
    select
        external_userid,
        userid,
        min(created_at) as created_at
    from follow_user_versions
    group by external_userid, userid
),

dated_events as (
    select * from contact_events
    where
        external_userid is not null
        and userid is not null
        and changed_date <= {{ as_of_date() }}
),

event_pairs as (
    select
        external_userid,
        userid,
        min(changed_at) as first_event_at
    from dated_events
    group by external_userid, userid
),

latest_events as (
    select
        external_userid,
        userid,
        bool_and(change_type = 'del_follow_user') as removed_by_customer,
        bool_and(change_type in ('del_follow_user', 'del_external_contact')) as is_removed
    from dated_events
    group by external_userid, userid, changed_at
    qualify changed_at = max(changed_at) over (partition by external_userid, userid)
),

pairs as (
    select
        coalesce(snapshot_pairs.external_userid, event_pairs.external_userid)
            as external_userid,
        coalesce(snapshot_pairs.userid, event_pairs.userid) as userid,
        coalesce(snapshot_pairs.created_at, event_pairs.first_event_at) as since_at
    from snapshot_pairs
    full outer join event_pairs
        on
            snapshot_pairs.external_userid = event_pairs.external_userid
            and snapshot_pairs.userid = event_pairs.userid
),

final as (
    select
        identifiers.customer_id,
        pairs.external_userid,
        pairs.userid,
        pairs.since_at,
        coalesce(latest_events.removed_by_customer, false) as removed_by_customer,
        coalesce(latest_events.is_removed, false) as is_removed
    from pairs
    inner join identifiers
        on {{ customer_of('identifiers', 'external_userid', 'pairs.external_userid') }}
    left join latest_events
        on
            pairs.external_userid = latest_events.external_userid
            and pairs.userid = latest_events.userid
)

select * from final
