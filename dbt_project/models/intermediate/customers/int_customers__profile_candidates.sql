-- The golden-record candidates (rules §1, profile fields): one row per current source record
-- of a customer with its name, gender, birthday, mobile and unionid, ranked by source (the
-- member system first, then WeCom, then the mini-program) and recency within the source:
-- `candidate_rank` 1 is the customer's best record. Ties (two records of one source written
-- at the same time) are ordered by the records' values, so the same data always gives the
-- same golden record.
-- Mobiles are normalised and kept only when they are an identifier of that customer (valid,
-- not blocklisted, not shared).
-- A view: its one reader, int_customers__golden_record, takes the best value of each field
-- from it, and a table cost a night at 1M customers 1-3 s to write 1.8M rows and read them
-- back (docs/benchmark.md).
{{ config(materialized='view') }}

with

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

members as (
    select * from {{ ref('stg_member__members') }}
),

contacts as (
    select * from {{ ref('stg_wecom__external_contacts') }}
),

follow_users as (
    select * from {{ ref('stg_wecom__follow_users') }}
),

users as (
    select * from {{ ref('stg_miniprogram__users') }}
),

records as (
    select
        identifiers.customer_id,
        1 as source_rank,
        members.registered_at as recorded_at,
        members.name,
        case members.gender when 'M' then 'male' when 'F' then 'female' end as gender,
        members.birthday,
        members.mobile,
        members.unionid
    from members
    inner join identifiers
        on {{ customer_of('identifiers', 'member_id', 'members.member_id') }}
    union all
    select
        identifiers.customer_id,
        2 as source_rank,
        (
            select max(follow_users.created_at)
            from follow_users
            where follow_users.external_userid = contacts.external_userid
        ) as recorded_at,
        nullif(trim(contacts.name), '') as name,
        case contacts.gender when 1 then 'male' when 2 then 'female' end as gender,
        cast(null as date) as birthday,
        cast(null as string) as mobile,
        contacts.unionid
    from contacts
    inner join identifiers
        on {{ customer_of('identifiers', 'external_userid', 'contacts.external_userid') }}
    union all
    select
        identifiers.customer_id,
        2 as source_rank,
        follow_users.created_at as recorded_at,
        cast(null as string) as name,
        cast(null as string) as gender,
        cast(null as date) as birthday,
        {{ unnest_list('follow_users.remark_mobiles') }} as mobile,
        cast(null as string) as unionid
    from follow_users
    inner join identifiers
        on {{ customer_of('identifiers', 'external_userid', 'follow_users.external_userid') }}
    union all
    select
        identifiers.customer_id,
        3 as source_rank,
        users.registered_at as recorded_at,
        nullif(trim(users.nickname), '') as name,
        cast(null as string) as gender,
        cast(null as date) as birthday,
        users.mobile,
        users.unionid
    from users
    inner join identifiers
        on {{ customer_of('identifiers', 'openid', 'users.openid') }}
),

-- the digits of a record's mobile, once (the normalisation below reads them five times)
with_digits as (
    select
        *,
        {{ mobile_digits('mobile') }} as mobile_digits
    from records
),

final as (
    select
        with_digits.customer_id,
        with_digits.source_rank,
        with_digits.recorded_at,
        row_number() over (
            partition by with_digits.customer_id
            order by
                with_digits.source_rank asc,
                with_digits.recorded_at desc nulls last,
                with_digits.name asc nulls last,
                with_digits.gender asc nulls last,
                with_digits.birthday asc nulls last,
                own_mobile.identifier_value asc nulls last,
                own_unionid.identifier_value asc nulls last
        ) as candidate_rank,
        with_digits.name,
        with_digits.gender,
        with_digits.birthday,
        own_mobile.identifier_value as mobile,
        own_unionid.identifier_value as unionid
    from with_digits
    -- the type first: the join then hashes the customers' mobiles alone, not every identifier
    left join identifiers as own_mobile
        on
            own_mobile.identifier_type = 'mobile'
            and own_mobile.identifier_key
            = {{ identifier_key("'mobile'", normalised_mobile('with_digits.mobile_digits')) }}
            and with_digits.customer_id = own_mobile.customer_id
    left join identifiers as own_unionid
        on
            {{ customer_of('own_unionid', 'unionid', 'with_digits.unionid') }}
            and with_digits.customer_id = own_unionid.customer_id
)

select * from final
