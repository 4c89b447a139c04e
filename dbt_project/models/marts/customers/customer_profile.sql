-- One row per customer as of D (published): the golden record (rules §1) without a direct
-- identifier (published.md, China's PIPL: the minimum), the customer's identifiers, WeCom
-- owners, join date and order totals. The name is masked (its first character, then one `*`
-- per further character, at least one), the birthday reduced to its month, the mobile masked
-- and hashed; the clear name and birthday go to the restricted file (customer_contacts).
with

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

golden as (
    select * from {{ ref('int_customers__golden_record') }}
),

follow_users as (
    select * from {{ ref('stg_wecom__follow_users') }}
),

joined_dates as (
    select * from {{ ref('int_customers__joined_dates') }}
),

order_summary as (
    select * from {{ ref('int_customers__order_summary') }}
),

-- one pass over the identifiers: their lists by type and the systems they were seen in
customers as (
    select
        customer_id,
        {{ sorted_list('identifier_value', where="identifier_type = 'member_id'") }} as member_ids,
        {{ sorted_list('identifier_value', where="identifier_type = 'openid'") }} as openids,
        {{ sorted_list('identifier_value', where="identifier_type = 'external_userid'") }}
            as external_userids,
        {{ sorted_set_of([
            "case when bool_or(seen_in_member) then 'member' end",
            "case when bool_or(seen_in_miniprogram) then 'miniprogram' end",
            "case when bool_or(seen_in_wecom) then 'wecom' end",
        ]) }} as sources
    from identifiers
    group by customer_id
),

owners as (
    select
        identifiers.customer_id,
        {{ sorted_list('follow_users.userid', distinct=true) }} as owner_userids
    from follow_users
    inner join identifiers
        on {{ customer_of('identifiers', 'external_userid', 'follow_users.external_userid') }}
    group by identifiers.customer_id
),

final as (
    select
        customers.customer_id,
        left(golden.name, 1)
        || repeat('*', greatest(length(golden.name) - 1, 1)) as name_masked,
        coalesce(golden.gender, 'unknown') as gender,
        cast(month(golden.birthday) as integer) as birth_month,
        substr(golden.mobile, 1, 3) || '****' || substr(golden.mobile, 8, 4) as mobile_masked,
        {{ sha256_hex('golden.mobile') }} as mobile_sha256,
        golden.unionid,
        coalesce(customers.member_ids, {{ empty_list() }}) as member_ids,
        coalesce(customers.openids, {{ empty_list() }}) as openids,
        coalesce(customers.external_userids, {{ empty_list() }}) as external_userids,
        coalesce(owners.owner_userids, {{ empty_list() }}) as owner_userids,
        joined_dates.joined_date,
        order_summary.first_order_date,
        order_summary.last_order_date,
        coalesce(order_summary.order_count, 0) as order_count,
        cast(coalesce(order_summary.total_spend, 0) as decimal(18, 2)) as total_spend,
        customers.sources,
        {{ as_of_date() }} as as_of_date
    from customers
    left join golden on customers.customer_id = golden.customer_id
    left join owners on customers.customer_id = owners.customer_id
    left join joined_dates on customers.customer_id = joined_dates.customer_id
    left join order_summary on customers.customer_id = order_summary.customer_id
)

select * from final
