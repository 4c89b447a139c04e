-- The golden record's contact fields in clear, one row per customer as of D: restricted
-- (published.md). The publish step writes it to `<warehouse>/restricted/contacts.duckdb`
-- (mode 0600), never to the BI-facing published.duckdb or its Parquet files; only the
-- commands that contact customers read it.
with

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

golden as (
    select * from {{ ref('int_customers__golden_record') }}
),

customers as (
    select distinct customer_id from identifiers
),

final as (
    select
        customers.customer_id,
        golden.name,
        golden.birthday,
        {{ as_of_date() }} as as_of_date
    from customers
    left join golden on customers.customer_id = golden.customer_id
)

select * from final
