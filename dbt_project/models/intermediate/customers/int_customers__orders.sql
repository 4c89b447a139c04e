-- Every order of both systems as of D, latest version, with its customer and whether it
-- counts (rules §2): a mini-program order whose status is paid / shipped / completed and that
-- has a `paid_at`, or an in-store order that is paid (vars qualifying_*_statuses).
-- A night writes only the orders it changed (docs/incremental.md): those the staging tables
-- took again (a new version, or one whose update date has just passed) and those whose openid
-- or member_id now belongs to another customer (a merge) or to none.
{{ config(
    materialized=increment_materialization(),
    incremental_strategy='delete+insert',
    unique_key='order_key',
    on_schema_change='sync_all_columns',
    pre_hook="{{ reset_increment(settings=qualifying_statuses()) }}",
    post_hook="{{ record_increment(settings=qualifying_statuses()) }}",
) }}
{%- set since = extract_increment(settings=qualifying_statuses()) %}
{#- every order in a full build (`true`): since is none -#}
{%- set taken_again = added_since(since, ['extract_date', local_date('updated_at')]) %}

with

miniprogram_orders as (
    select * from {{ ref('stg_miniprogram__orders') }}
),

offline_orders as (
    select * from {{ ref('stg_member__offline_orders') }}
),

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

-- the openids and member ids and the customer their orders carry (none in a full build)
recorded as (
    {% if since %}
        select distinct
            openid,
            member_id,
            customer_id
        from {{ this }}
    {% else %}
        select
            cast(null as string) as openid,
            cast(null as string) as member_id,
            cast(null as string) as customer_id
        where false
    {% endif %}
),

-- the openids and member ids whose customer is not the one their orders carry
moved as (
    select
        recorded.openid,
        recorded.member_id
    from recorded
    left join identifiers as by_openid
        on {{ customer_of('by_openid', 'openid', 'recorded.openid') }}
    left join identifiers as by_member
        on {{ customer_of('by_member', 'member_id', 'recorded.member_id') }}
    where
        coalesce(by_openid.customer_id, by_member.customer_id)
        is distinct from recorded.customer_id
),

unioned as (
    select
        'miniprogram' as source_system,
        order_id,
        openid,
        cast(null as string) as member_id,
        cast(null as string) as store_id,
        order_status,
        (
            order_status in ({{ sql_string_list(var('qualifying_miniprogram_statuses')) }})
            and paid_at is not null
        ) as is_qualifying,
        total_amount,
        discount_amount,
        paid_amount,
        coupon_id,
        created_at,
        paid_at,
        updated_at,
        coalesce(paid_date, created_date) as order_date
    from miniprogram_orders
    where {{ taken_again }} or openid in (select moved.openid from moved)
    union all
    select
        'member' as source_system,
        order_id,
        cast(null as string) as openid,
        member_id,
        store_id,
        order_status,
        order_status in ({{ sql_string_list(var('qualifying_offline_statuses')) }})
            as is_qualifying,
        paid_amount as total_amount,
        cast(0 as decimal(18, 2)) as discount_amount,
        paid_amount,
        cast(null as string) as coupon_id,
        paid_at as created_at,
        paid_at,
        updated_at,
        paid_date as order_date
    from offline_orders
    where {{ taken_again }} or member_id in (select moved.member_id from moved)
),

final as (
    select
        unioned.source_system || ':' || unioned.order_id as order_key,
        unioned.source_system,
        unioned.order_id,
        coalesce(by_openid.customer_id, by_member.customer_id) as customer_id,
        unioned.openid,
        unioned.member_id,
        unioned.store_id,
        unioned.order_status,
        unioned.is_qualifying,
        unioned.order_date,
        unioned.paid_amount as amount,
        unioned.total_amount,
        unioned.discount_amount,
        unioned.coupon_id is not null as has_coupon,
        unioned.coupon_id,
        unioned.created_at,
        unioned.paid_at,
        unioned.updated_at
    from unioned
    left join identifiers as by_openid
        on {{ customer_of('by_openid', 'openid', 'unioned.openid') }}
    left join identifiers as by_member
        on {{ customer_of('by_member', 'member_id', 'unioned.member_id') }}
)

select * from final
