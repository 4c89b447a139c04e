-- The purchase model's parameters of the run as of D (fitted on D, or kept from an earlier
-- fit when D's did not converge: `converged`, `fitted_as_of`, `note`).
with

source as (
    select * from {{ source('purchase_model', 'parameters') }}
),

renamed as (
    select
        model,
        parameter,
        cast(value as double) as value,  -- noqa: RF04
        time_unit,
        cast(log_likelihood as double) as log_likelihood,
        cast(n_customers as bigint) as n_customers,
        cast(as_of_date as date) as as_of_date,
        converged,
        cast(fitted_as_of as date) as fitted_as_of,
        note
    from source
    where as_of_date = {{ as_of_date() }}
)

select * from renamed
