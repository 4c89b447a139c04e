-- Customer ids merged away (rules §1): when a run joins components that held several ids,
-- the id first assigned survives and each other id is listed here with the run's date.
-- `customer_id` is the customer the merged id's identifiers belong to now (the survivor, or
-- the survivor's own survivor after later merges).
with

history as (
    select * from {{ ref('int_identity__customer_id_history') }}
),

identifiers as (
    select * from {{ ref('int_identity__identifiers') }}
),

retired as (
    select
        customer_id as merged_customer_id,
        max(valid_to) as merged_on
    from history
    group by customer_id
    having count(*) filter (where valid_to is null) = 0
),

last_identifiers as (
    select
        retired.merged_customer_id,
        retired.merged_on,
        {{ arg_min_by(
            'history.identifier_key',
            ['identifiers.first_seen_date', 'identifiers.candidate_customer_id'],
        ) }} as identifier_key
    from retired
    inner join history
        on
            retired.merged_customer_id = history.customer_id
            and retired.merged_on = history.valid_to
    inner join identifiers on history.identifier_key = identifiers.identifier_key
    group by retired.merged_customer_id, retired.merged_on
),

final as (
    select
        last_identifiers.merged_customer_id,
        now_held.customer_id,
        last_identifiers.merged_on
    from last_identifiers
    inner join history as now_held
        on
            last_identifiers.identifier_key = now_held.identifier_key
            and now_held.valid_to is null
)

select * from final
