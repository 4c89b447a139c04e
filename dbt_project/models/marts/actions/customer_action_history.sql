{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        full_refresh=false,
        pre_hook="{{ rewind_history(valid_from='as_of_date', valid_to=none, to_last_publish=true) }}",
        post_hook="{{ prune_action_history() }}",
    )
}}
-- The daily actions (playbook §15): the run's list as of D beside the `issued` and `control`
-- rows of the earlier runs, which its cooldowns and touch counts read. A run as of D first
-- rewinds what runs as of D or later, and runs after the last publish, wrote (so a rerun of
-- a date replaces its list and a refused run leaves no trace); the other statuses of earlier
-- days are dropped once a later run is built. Kept across full refreshes.
--
-- Of the proposed actions (customer_action_candidates), those whose (customer, action) was
-- issued or held as control in a run dated in [D - cooldown_days + 1, D - 1] (ever before,
-- for an action without a cooldown) are left out. The contact policy, in this order:
-- `unreachable` without an active WeCom relationship and an openid; `suppressed` when the
-- customer's touches in the last var `touch_window_days` (7) days before D ([D - 6, D - 1]:
-- issued actions and outbound interactions, one each) reach var `max_touches_7d` (2);
-- `deferred` all but the first var `max_actions_per_day` (1) by (priority, action);
-- `control` when the customer and action hash into the first var `control_percent` (10) of
-- 100 buckets; `issued` the rest.
with

candidates as (
    select * from {{ ref('customer_action_candidates') }}
),

channels as (
    select * from {{ ref('int_actions__channels') }}
),

interactions as (
    select * from {{ ref('stg_wecom__interactions') }}
),

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

earlier as (
    {% if is_incremental() %}
        select
            customer_id,
            action,
            status,
            as_of_date
        from {{ this }}
        where as_of_date < {{ as_of_date() }} and status in ('issued', 'control')
    {% else %}
        select
            cast(null as string) as customer_id,
            cast(null as string) as action,
            cast(null as string) as status,
            cast(null as date) as as_of_date
        where false
    {% endif %}
),

off_cooldown as (
    select candidates.*
    from candidates
    anti join earlier
        on
            candidates.customer_id = earlier.customer_id
            and candidates.action = earlier.action
            and (
                candidates.cooldown_days is null
                or earlier.as_of_date > {{ as_of_date() }} - candidates.cooldown_days
            )
),

touches as (
    select
        customer_id,
        count(*) as touches
    from (
        select earlier.customer_id
        from earlier
        where
            earlier.status = 'issued'
            and earlier.as_of_date >= {{ as_of_date() }} - {{ var('touch_window_days') }} + 1
        union all
        select identifiers.customer_id
        from interactions
        inner join identifiers
            on {{ customer_of('identifiers', 'external_userid', 'interactions.external_userid') }}
        where
            interactions.direction = 'outbound'
            and interactions.occurred_date
            between {{ as_of_date() }} - {{ var('touch_window_days') }} + 1
            and {{ as_of_date() }} - 1
    ) as touched
    group by customer_id
),

ranked as (
    select
        off_cooldown.customer_id,
        off_cooldown.action,
        off_cooldown.action_zh,
        off_cooldown.subject,
        off_cooldown.priority,
        coalesce(channels.channel, 'none') as channel,
        channels.owner_userid,
        channels.external_userid,
        coalesce(touches.touches, 0) as touches,
        row_number() over (
            partition by off_cooldown.customer_id
            order by off_cooldown.priority, off_cooldown.action
        ) as rank_in_day
    from off_cooldown
    left join channels on off_cooldown.customer_id = channels.customer_id
    left join touches on off_cooldown.customer_id = touches.customer_id
),

final as (
    select
        customer_id,
        action,
        action_zh,
        subject,
        cast(priority as integer) as priority,
        case
            when channel = 'none' then 'unreachable'
            when touches >= {{ var('max_touches_7d') }} then 'suppressed'
            when rank_in_day > {{ var('max_actions_per_day') }} then 'deferred'
            when {{ control_bucket('customer_id', 'action') }} < {{ var('control_percent') }}
                then 'control'
            else 'issued'
        end as status,
        channel,
        owner_userid,
        external_userid,
        {{ as_of_date() }} as as_of_date
    from ranked
)

select * from final
