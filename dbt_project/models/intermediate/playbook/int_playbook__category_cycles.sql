-- The replenishment cycle of each category (playbook §10): for every customer, the gaps in
-- days between consecutive distinct purchase dates of the category; the median of all those
-- gaps pooled over customers, rounded half up to whole days. A category with fewer than var
-- `replenishment_min_gaps` (10) gaps has no cycle (no row).
with

purchases as (
    select * from {{ ref('int_playbook__category_purchases') }}
),

gaps as (
    select
        category,
        {{ date_diff_days(
            'purchase_date',
            'lag(purchase_date) over (partition by customer_id, category order by purchase_date)',
        ) }} as gap_days
    from purchases
),

final as (
    select
        category,
        cast(floor(median(gap_days) + 0.5) as integer) as category_cycle_days,
        count(gap_days) as gaps
    from gaps
    where gap_days is not null
    group by category
    having count(gap_days) >= {{ var('replenishment_min_gaps') }}
)

select * from final
