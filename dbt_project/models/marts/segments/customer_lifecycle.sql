-- The lifecycle as published (rules §4, playbook §9): the journeys and stages of
-- int_customers__lifecycle_stages, where the rules live, with the stage's Chinese label and
-- the run's date.
with

lifecycle_stages as (
    select * from {{ ref('int_customers__lifecycle_stages') }}
),

final as (
    select
        customer_id,
        joined_date,
        journey_day,
        journey_stage,
        first_order_date,
        purchase_journey_day,
        purchase_journey_stage,
        last_order_date,
        last_active_date,
        order_count,
        lifecycle_stage,
        {{ tag_label("'lifecycle'", 'lifecycle_stage') }} as lifecycle_stage_zh,
        {{ as_of_date() }} as as_of_date
    from lifecycle_stages
)

select * from final
