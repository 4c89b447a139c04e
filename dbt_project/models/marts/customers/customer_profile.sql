-- One row per customer as of D (published): the golden record (rules §1: the member system
-- wins, then WeCom, then the mini-program; within a source the newest record; never a blank
-- over a value), the customer's identifiers, WeCom owners, join date and order totals. No raw
-- mobile number: only `mobile_masked` and `mobile_sha256` of the normalised number.
with

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

candidates as (
    select * from {{ ref('int_customers__profile_candidates') }}
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
        list_sort(list(identifier_value) filter (
            where identifier_type = 'member_id'
        )) as member_ids,
        list_sort(list(identifier_value) filter (where identifier_type = 'openid')) as openids,
        list_sort(list(identifier_value) filter (
            where identifier_type = 'external_userid'
        )) as external_userids,
        list_sort(list_distinct(list_value(
            case when bool_or(seen_in_member) then 'member' end,
            case when bool_or(seen_in_miniprogram) then 'miniprogram' end,
            case when bool_or(seen_in_wecom) then 'wecom' end
        ))) as sources
    from identifiers
    group by customer_id
),

golden as (
    select
        customer_id,
        arg_min(name, candidate_rank) filter (where name is not null) as name,
        arg_min(gender, candidate_rank) filter (where gender is not null) as gender,
        arg_min(birthday, candidate_rank) filter (where birthday is not null) as birthday,
        arg_min(mobile, candidate_rank) filter (where mobile is not null) as mobile,
        arg_min(unionid, candidate_rank) filter (where unionid is not null) as unionid
    from candidates
    group by customer_id
),

owners as (
    select
        identifiers.customer_id,
        list(distinct follow_users.userid order by follow_users.userid) as owner_userids
    from follow_users
    inner join identifiers
        on {{ customer_of('identifiers', 'external_userid', 'follow_users.external_userid') }}
    group by identifiers.customer_id
),

final as (
    select
        customers.customer_id,
        golden.name,
        coalesce(golden.gender, 'unknown') as gender,
        golden.birthday,
        substr(golden.mobile, 1, 3) || '****' || substr(golden.mobile, 8, 4) as mobile_masked,
        sha256(golden.mobile) as mobile_sha256,
        golden.unionid,
        coalesce(customers.member_ids, []) as member_ids,
        coalesce(customers.openids, []) as openids,
        coalesce(customers.external_userids, []) as external_userids,
        coalesce(owners.owner_userids, []) as owner_userids,
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
