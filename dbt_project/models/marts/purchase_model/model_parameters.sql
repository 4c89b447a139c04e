-- The purchase model's fitted parameters as of D (rules §7), one row per model ×
-- parameter, with the log-likelihood and customer count of the fit. When D's fit did not
-- converge, the row holds the parameters last fitted (`converged` false, `fitted_as_of`,
-- and a `note` saying so).
with

parameters as (
    select * from {{ ref('int_purchase_model__parameters') }}
),

final as (
    select
        model,
        parameter,
        value,
        time_unit,
        log_likelihood,
        n_customers,
        as_of_date,
        converged,
        fitted_as_of,
        note
    from parameters
    where as_of_date = {{ as_of_date() }}
)

select * from final
