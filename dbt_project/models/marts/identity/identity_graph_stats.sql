{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        on_schema_change='append_new_columns',
        pre_hook="{{ rewind_history(valid_from='as_of_date', valid_to=none) }}",
    )
}}
-- One row per run (as-of date) describing the identity graph, for the quality gate and for
-- people watching the stitching: customers, identifiers by type, the largest customer,
-- shared identifiers and dropped edges, merges and new ids of the run, rejected values, and
-- identifiers found in more than one customer (must be 0). A run as of D drops the rows of
-- runs dated D or later first (their identity state was rewound too).
with

occurrences as (
    select * from {{ ref('int_identity__identifier_occurrences') }}
),

edges as (
    select * from {{ ref('int_identity__edges') }}
),

kept_edges as (
    select * from {{ ref('int_identity__kept_edges') }}
),

shared as (
    select * from {{ ref('int_identity__shared_identifiers') }}
),

customer_identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

history as (
    select * from {{ ref('int_identity__customer_id_history') }}
),

merged as (
    select * from {{ ref('customer_merges') }}
),

customers as (
    select
        count(*) as customers,
        coalesce(max(identifier_count), 0) as largest_customer_identifiers
    from (
        select
            customer_id,
            count(*) as identifier_count
        from customer_identifiers
        group by customer_id
    ) as sizes
),

identifier_counts as (
    select
        count(*) as identifiers,
        count(*) filter (where identifier_type = 'unionid') as unionids,
        count(*) filter (where identifier_type = 'openid') as openids,
        count(*) filter (where identifier_type = 'external_userid') as external_userids,
        count(*) filter (where identifier_type = 'member_id') as member_ids,
        count(*) filter (where identifier_type = 'mobile') as mobiles,
        count(*) - count(distinct identifier_key) as identifiers_in_several_customers
    from customer_identifiers
),

first_assigned as (
    select
        customer_id,
        min(valid_from) as assigned_on
    from history
    group by customer_id
),

run_changes as (
    select
        (
            select count(*) from first_assigned
            where assigned_on = {{ as_of_date() }}
        ) as new_customers,
        (
            select count(*) from merged
            where merged_on = {{ as_of_date() }}
        ) as merged_customers
),

graph as (
    select
        (select count(*) from edges) as edges,
        (select count(*) from kept_edges) as kept_edges,
        (select count(*) from shared) as shared_identifiers
),

rejected as (
    select
        count(distinct raw_value) filter (
            where rejection = 'invalid_mobile'
        ) as invalid_mobiles,
        count(distinct raw_value) filter (
            where rejection = 'blocklisted'
        ) as blocklisted_values
    from occurrences
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        customers.customers,
        run_changes.new_customers,
        run_changes.merged_customers,
        identifier_counts.identifiers,
        identifier_counts.unionids,
        identifier_counts.openids,
        identifier_counts.external_userids,
        identifier_counts.member_ids,
        identifier_counts.mobiles,
        identifier_counts.identifiers_in_several_customers,
        customers.largest_customer_identifiers,
        graph.edges,
        graph.kept_edges,
        graph.edges - graph.kept_edges as dropped_edges,
        graph.shared_identifiers,
        rejected.invalid_mobiles,
        rejected.blocklisted_values
    from customers
    cross join identifier_counts
    cross join run_changes
    cross join graph
    cross join rejected
)

select * from final
