-- Replenishment (playbook §10), one row per (customer, category) with a purchase dated in the
-- RFM window [D - (rfm_window_days - 1), D] whose category has a cycle: the distinct purchase
-- dates ≤ D, the last one, the category's cycle, the date the customer runs out (due_date =
-- last purchase + cycle) and how far off it is (days_until_due = due_date - D). Status:
-- `stocked` (库存充足) when more than var `replenishment_notice_days` (7) days off,
-- `due_soon` (即将补货) from 0 to 7, `run_out` (已用完) below 0.
with

purchases as (
    select * from {{ ref('int_playbook__category_purchases') }}
),

cycles as (
    select * from {{ ref('int_playbook__category_cycles') }}
),

per_category as (
    select
        customer_id,
        category,
        count(*) as purchases,
        max(purchase_date) as last_purchase_date
    from purchases
    group by customer_id, category
),

due as (
    select
        per_category.customer_id,
        per_category.category,
        per_category.purchases,
        per_category.last_purchase_date,
        cycles.category_cycle_days,
        per_category.last_purchase_date + cycles.category_cycle_days as due_date,
        {{ date_diff_days(
            'per_category.last_purchase_date + cycles.category_cycle_days', as_of_date(),
        ) }} as days_until_due
    from per_category
    inner join cycles on per_category.category = cycles.category
    where
        per_category.last_purchase_date
        >= {{ as_of_date() }} - ({{ var('rfm_window_days') }} - 1)
),

staged as (
    select
        *,
        case
            when days_until_due > {{ var('replenishment_notice_days') }} then 'stocked'
            when days_until_due >= 0 then 'due_soon'
            else 'run_out'
        end as replenishment_status
    from due
),

final as (
    select
        customer_id,
        category,
        cast(purchases as integer) as purchases,
        last_purchase_date,
        category_cycle_days,
        cast(due_date as date) as due_date,
        cast(days_until_due as integer) as days_until_due,
        replenishment_status,
        {{ tag_label("'replenishment'", 'replenishment_status') }} as replenishment_status_zh,
        {{ as_of_date() }} as as_of_date
    from staged
)

select * from final
