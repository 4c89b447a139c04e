-- RFM as published (rules §3): the scores and segments of int_customers__rfm_scores, where
-- the rule lives, with the segment's Chinese label and the run's date.
with

rfm_scores as (
    select * from {{ ref('int_customers__rfm_scores') }}
),

final as (
    select
        customer_id,
        recency_days,
        frequency,
        monetary,
        r_score,
        f_score,
        m_score,
        rfm_code,
        rfm_segment,
        {{ tag_label("'rfm_segment'", 'rfm_segment') }} as rfm_segment_zh,
        {{ as_of_date() }} as as_of_date
    from rfm_scores
)

select * from final
