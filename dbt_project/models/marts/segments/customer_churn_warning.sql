-- The churn warning as of D (rules §5): the customers at risk (int_customers__churn_risk)
-- with the purchase model's p_alive beside the rule (rules §7).
with

churn_risk as (
    select * from {{ ref('int_customers__churn_risk') }}
),

predictions as (
    select * from {{ ref('customer_predictions') }}
),

final as (
    select
        churn_risk.customer_id,
        churn_risk.days_since_last_order,
        churn_risk.expected_cycle_days,
        churn_risk.overdue_ratio,
        churn_risk.lost_contact,
        churn_risk.risk_level,
        predictions.p_alive,
        {{ as_of_date() }} as as_of_date
    from churn_risk
    left join predictions on churn_risk.customer_id = predictions.customer_id
)

select * from final
