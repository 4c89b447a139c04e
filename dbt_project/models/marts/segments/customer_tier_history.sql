{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['customer_id', 'valid_from'],
        on_schema_change='append_new_columns',
        full_refresh=false,
        pre_hook="{{ rewind_history(to_last_publish=true) }}",
    )
}}
-- Every customer's value tier (rules §6) over time, one row per interval: the tier held from
-- `valid_from` (the as-of date of the run that first gave it) until `valid_to` (the run that
-- changed it; null while it holds), with the tier before it and the kind of change. "Who
-- was downgraded in March" is `tier_change = 'downgrade'` with `valid_from` in March. A run
-- as of D first rewinds what runs as of D or later wrote, so re-running a date changes
-- nothing; the history survives a full refresh.
with

current_tiers as (
    select * from {{ ref('int_customers__value_tiers') }}
),

open_intervals as (
    {% if is_incremental() %}
        select * from {{ this }}
        where valid_to is null
    {% else %}
        select
            cast(null as string) as customer_id,
            cast(null as string) as value_tier,
            cast(null as string) as previous_value_tier,
            cast(null as string) as tier_change,
            cast(null as date) as valid_from,
            cast(null as date) as valid_to
        where false
    {% endif %}
),

changed as (
    select
        current_tiers.customer_id,
        current_tiers.value_tier,
        open_intervals.value_tier as previous_value_tier,
        {{ tier_rank('current_tiers.value_tier') }} as tier_rank,
        {{ tier_rank('open_intervals.value_tier') }} as previous_tier_rank
    from current_tiers
    left join open_intervals on current_tiers.customer_id = open_intervals.customer_id
    where open_intervals.value_tier is distinct from current_tiers.value_tier
),

opened as (
    select
        customer_id,
        value_tier,
        previous_value_tier,
        case
            when previous_value_tier is null then 'new'
            when tier_rank > previous_tier_rank then 'upgrade'
            else 'downgrade'
        end as tier_change,
        {{ as_of_date() }} as valid_from,
        cast(null as date) as valid_to
    from changed
),

closed as (
    select
        open_intervals.customer_id,
        open_intervals.value_tier,
        open_intervals.previous_value_tier,
        open_intervals.tier_change,
        open_intervals.valid_from,
        {{ as_of_date() }} as valid_to
    from open_intervals
    left join current_tiers on open_intervals.customer_id = current_tiers.customer_id
    where current_tiers.value_tier is distinct from open_intervals.value_tier
),

final as (
    select * from opened
    union all
    select * from closed
)

select * from final
