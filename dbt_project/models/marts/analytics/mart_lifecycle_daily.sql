{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        on_schema_change='append_new_columns',
        full_refresh=false,
        pre_hook="{{ rewind_history(valid_from='as_of_date', valid_to=none, to_last_publish=true) }}",
    )
}}
-- For BI dashboards: how many customers are in each lifecycle stage, T+ journey stage, RFM
-- segment, value tier and churn risk, one row per (as-of date, dimension, value), appended
-- by each run. `customer_share` is of the dimension's population (customers joined by D; for
-- `rfm_segment`, customers with an order in the RFM window; for `churn_risk`, customers at
-- risk). A run as of D replaces the rows of runs dated D or later.
with

lifecycle as (
    select * from {{ ref('customer_lifecycle') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

tiers as (
    select * from {{ ref('customer_tier') }}
),

churn_risk as (
    select * from {{ ref('int_customers__churn_risk') }}
),

counted as (
    select
        'lifecycle' as dimension,
        lifecycle_stage as dimension_value,
        count(*) as customers
    from lifecycle
    group by lifecycle_stage
    union all
    select
        'journey_stage' as dimension,
        journey_stage as dimension_value,
        count(*) as customers
    from lifecycle
    group by journey_stage
    union all
    select
        'rfm_segment' as dimension,
        rfm_segment as dimension_value,
        count(*) as customers
    from rfm
    group by rfm_segment
    union all
    select
        'value_tier' as dimension,
        value_tier as dimension_value,
        count(*) as customers
    from tiers
    group by value_tier
    union all
    select
        'churn_risk' as dimension,
        risk_level as dimension_value,
        count(*) as customers
    from churn_risk
    group by risk_level
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        dimension,
        dimension_value,
        {{ tag_label('dimension', 'dimension_value') }} as dimension_value_zh,
        customers,
        customers / sum(customers) over (partition by dimension) as customer_share
    from counted
)

select * from final
