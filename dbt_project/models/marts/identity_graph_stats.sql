{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='as_of_date',
        on_schema_change='append_new_columns',
    )
}}
-- One row per run (as-of date) describing the identity graph, for the quality gate and for
-- people watching the stitching: customers, identifiers by type, the largest customer,
-- shared identifiers and dropped edges, merges and new ids of the run, rejected values, and
-- identifiers found in more than one customer (must be 0).
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

merges as (
    select * from {{ ref('customer_merges') }}
),

customers as (
    select
        customer_id,
        count(*) as identifiers
    from customer_identifiers
    group by customer_id
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

rejected as (
    select
        count(distinct raw_value) filter (where rejection = 'invalid_mobile')
            as invalid_mobiles,
        count(distinct raw_value) filter (where rejection = 'blocklisted')
            as blocklisted_values
    from occurrences
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        (select count(*) from customers) as customers,
        (
            select count(distinct customer_id) from history
            where valid_from = {{ as_of_date() }} and valid_to is null
                and customer_id not in (
                    select customer_id from history where valid_from < {{ as_of_date() }}
                )
        ) as new_customers,
        (
            select count(*) from merges where merged_on = {{ as_of_date() }}
        ) as merged_customers,
        identifier_counts.identifiers,
        identifier_counts.unionids,
        identifier_counts.openids,
        identifier_counts.external_userids,
        identifier_counts.member_ids,
        identifier_counts.mobiles,
        identifier_counts.identifiers_in_several_customers,
        coalesce((select max(identifiers) from customers), 0) as largest_customer_identifiers,
        (select count(*) from edges) as edges,
        (select count(*) from kept_edges) as kept_edges,
        (select count(*) from edges) - (select count(*) from kept_edges) as dropped_edges,
        (select count(*) from shared) as shared_identifiers,
        rejected.invalid_mobiles,
        rejected.blocklisted_values
    from identifier_counts
    cross join rejected
)

select * from final
