-- The channel_preference tag (rules §8): the channel with the most customer-initiated
-- activity in the last `tag_channel_preference_days` days ending with D. Mini-program events
-- count for `miniprogram`; inbound WeCom interactions for their channel (`private_chat`,
-- `group_chat`, `moments`). Ties go in that order. No activity, no tag.
with

events as (
    select * from {{ ref('stg_miniprogram__events') }}
),

interactions as (
    select * from {{ ref('stg_wecom__interactions') }}
),

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

-- Counted per identifier value as recorded first (one row per openid, or per contact and
-- channel), then per customer: the join (on the trimmed value) only sees the identifiers.
per_identifier as (
    select
        'openid' as identifier_type,
        openid as identifier_value,
        'miniprogram' as channel,
        count(*) as activities
    from events
    where event_date > {{ as_of_date() }} - {{ var('tag_channel_preference_days') }}
    group by openid
    union all
    select
        'external_userid' as identifier_type,
        external_userid as identifier_value,
        channel,
        count(*) as activities
    from interactions
    where
        direction = 'inbound'
        and occurred_date > {{ as_of_date() }} - {{ var('tag_channel_preference_days') }}
    group by external_userid, channel
),

counted as (
    select
        identifiers.customer_id,
        per_identifier.channel,
        {{ tag_rank('channel_preference', 'per_identifier.channel') }} as channel_rank,
        sum(per_identifier.activities) as activities
    from per_identifier
    inner join identifiers
        on
            identifiers.identifier_key = {{ identifier_key(
                'per_identifier.identifier_type', 'trim(per_identifier.identifier_value)'
            ) }}
    group by identifiers.customer_id, per_identifier.channel
),

final as (
    select
        customer_id,
        channel as tag_value
    from counted
    qualify row_number() over (
        partition by customer_id order by activities desc, channel_rank asc
    ) = 1
)

select * from final
