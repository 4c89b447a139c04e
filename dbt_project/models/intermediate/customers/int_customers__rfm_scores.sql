-- The RFM rule (rules §3): one row per customer with a qualifying order in the RFM window
-- [D - (rfm_window_days - 1), D]: recency, frequency, monetary; scores 1-5 (5 best, ties
-- equal) as 1 + floor(5 * (rank() - 1) / n), ranking frequency and monetary ascending and
-- recency_days descending; and the 8 classic segments from strict comparisons with the
-- population means (R high: recency_days < mean; F high: frequency > mean; M high:
-- monetary > mean). The mean comparisons are exact: value * n against the sum.
-- customer_rfm publishes it.
{{ config(materialized='view') }}

with

orders as (
    select * from {{ ref('int_customers__qualifying_orders') }}
),

in_window as (
    select
        customer_id,
        {{ date_diff_days(as_of_date(), 'max(order_date)') }} as recency_days,
        count(*) as frequency,
        cast(sum(amount) as decimal(18, 2)) as monetary
    from orders
    where order_date >= {{ as_of_date() }} - ({{ var('rfm_window_days') }} - 1)
    group by customer_id
),

scored as (
    select
        *,
        1 + {{ int_div('5 * (rank() over (order by recency_days desc) - 1)', 'count(*) over ()') }}
            as r_score,
        1 + {{ int_div('5 * (rank() over (order by frequency asc) - 1)', 'count(*) over ()') }}
            as f_score,
        1 + {{ int_div('5 * (rank() over (order by monetary asc) - 1)', 'count(*) over ()') }}
            as m_score,
        recency_days * count(*) over () < sum(recency_days) over () as is_r_high,
        frequency * count(*) over () > sum(frequency) over () as is_f_high,
        cast(monetary as decimal(38, 2)) * count(*) over ()
        > cast(sum(monetary) over () as decimal(38, 2)) as is_m_high
    from in_window
),

segmented as (
    select
        *,
        case
            when is_r_high and is_f_high and is_m_high then 'important_value'
            when is_r_high and not is_f_high and is_m_high then 'important_develop'
            when not is_r_high and is_f_high and is_m_high then 'important_retain'
            when not is_r_high and not is_f_high and is_m_high then 'important_winback'
            when is_r_high and is_f_high and not is_m_high then 'general_value'
            when is_r_high and not is_f_high and not is_m_high then 'general_develop'
            when not is_r_high and is_f_high and not is_m_high then 'general_retain'
            else 'general_winback'
        end as rfm_segment
    from scored
),

final as (
    select
        customer_id,
        cast(recency_days as integer) as recency_days,
        cast(frequency as integer) as frequency,
        monetary,
        cast(r_score as integer) as r_score,
        cast(f_score as integer) as f_score,
        cast(m_score as integer) as m_score,
        cast(r_score as string) || cast(f_score as string) || cast(m_score as string)
            as rfm_code,
        rfm_segment
    from segmented
)

select * from final
