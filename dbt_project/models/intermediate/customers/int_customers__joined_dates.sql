-- Per customer, `joined_date` (rules §4): the local date of the earliest of any WeCom
-- `follow_user.createtime`, member `registered_at`, mini-program `registered_at`, first
-- qualifying order, first event and first interaction, all dated ≤ D.
with

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

follow_user_versions as (
    select * from {{ ref('stg_wecom__follow_user_versions') }}
),

member_versions as (
    select * from {{ ref('stg_member__member_versions') }}
),

user_versions as (
    select * from {{ ref('stg_miniprogram__user_versions') }}
),

identifier_dates as (
    select * from {{ ref('int_customers__identifier_dates') }}
),

order_summary as (
    select * from {{ ref('int_customers__order_summary') }}
),

-- per value as recorded first: one row per value instead of one per record
per_identifier as (
    {% for relation, identifier_type, dated in [
        ('follow_user_versions', 'external_userid', 'created_date'),
        ('member_versions', 'member_id', 'registered_date'),
        ('user_versions', 'openid', 'registered_date'),
    ] %}
        select
            '{{ identifier_type }}' as identifier_type,
            {{ identifier_type }} as identifier_value,
            min({{ dated }}) as first_date
        from {{ relation }}
        group by {{ identifier_type }}
        union all
    {% endfor %}
    select
        identifier_type,
        identifier_value,
        coalesce(first_event_date, first_interaction_date) as first_date
    from identifier_dates
),

firsts as (
    select
        identifiers.customer_id,
        min(per_identifier.first_date) as first_date
    from per_identifier
    inner join identifiers
        on
            identifiers.identifier_key = {{ identifier_key(
                'per_identifier.identifier_type', 'trim(per_identifier.identifier_value)'
            ) }}
    group by identifiers.customer_id
    union all
    select
        customer_id,
        first_order_date as first_date
    from order_summary
),

final as (
    select
        customer_id,
        min(first_date) as joined_date
    from firsts
    group by customer_id
)

select * from final
