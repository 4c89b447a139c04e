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

activity as (
    select
        identifiers.customer_id,
        'miniprogram' as channel
    from events
    inner join identifiers
        on {{ customer_of('identifiers', 'openid', 'events.openid') }}
    where events.event_date > {{ as_of_date() }} - {{ var('tag_channel_preference_days') }}
    union all
    select
        identifiers.customer_id,
        interactions.channel
    from interactions
    inner join identifiers
        on {{ customer_of('identifiers', 'external_userid', 'interactions.external_userid') }}
    where
        interactions.direction = 'inbound'
        and interactions.occurred_date
        > {{ as_of_date() }} - {{ var('tag_channel_preference_days') }}
),

counted as (
    select
        customer_id,
        channel,
        {{ tag_rank('channel_preference', 'channel') }} as channel_rank,
        count(*) as activities
    from activity
    group by customer_id, channel
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
