-- For BI dashboards: monthly retention by join cohort as of D. A cohort is the customers
-- joined (rules §4 joined_date) in one calendar month; for that month and each later month
-- up to D's, `buying_customers` is how many of them placed a qualifying order in it and
-- `retention_rate` their share of the cohort. D's month is counted up to D; cohorts are
-- followed for at most var `retention_max_months` months.
with

lifecycle as (
    select * from {{ ref('customer_lifecycle') }}
),

orders as (
    select * from {{ ref('int_customers__qualifying_orders') }}
),

cohorts as (
    select
        customer_id,
        cast(date_trunc('month', joined_date) as date) as cohort_month
    from lifecycle
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as cohort_customers
    from cohorts
    group by cohort_month
),

month_offsets as (
    {{ integer_series('months_since_join', 0, var('retention_max_months')) }}
),

months as (
    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_customers,
        month_offsets.months_since_join,
        cast(
            {{ add_months('cohort_sizes.cohort_month', 'month_offsets.months_since_join') }} as date
        ) as activity_month
    from cohort_sizes
    cross join month_offsets
    where
        {{ add_months('cohort_sizes.cohort_month', 'month_offsets.months_since_join') }}
        <= {{ as_of_date() }}
),

buying as (
    select
        cohorts.cohort_month,
        cast(date_trunc('month', orders.order_date) as date) as activity_month,
        count(distinct orders.customer_id) as buying_customers
    from orders
    inner join cohorts on orders.customer_id = cohorts.customer_id
    where orders.order_date >= cohorts.cohort_month
    group by cohorts.cohort_month, cast(date_trunc('month', orders.order_date) as date)
),

final as (
    select
        months.cohort_month,
        months.activity_month,
        cast(months.months_since_join as integer) as months_since_join,
        months.cohort_customers,
        coalesce(buying.buying_customers, 0) as buying_customers,
        coalesce(buying.buying_customers, 0) / months.cohort_customers as retention_rate,
        {{ as_of_date() }} as as_of_date
    from months
    left join buying
        on
            months.cohort_month = buying.cohort_month
            and months.activity_month = buying.activity_month
)

select * from final
