-- Every identifier value seen on a source record dated ≤ D, normalised (rules §1), with the
-- record's key identifier (its "anchor": openid, external_userid or member_id) and the
-- extract date it was first seen on. Records of every version count: a link once seen stays.
-- `rejection` says why a value is no identifier: `blocklisted` or `invalid_mobile`.
with

user_versions as (
    select * from {{ ref('stg_miniprogram__user_versions') }}
),

contact_versions as (
    select * from {{ ref('stg_wecom__external_contact_versions') }}
),

follow_user_versions as (
    select * from {{ ref('stg_wecom__follow_user_versions') }}
),

member_versions as (
    select * from {{ ref('stg_member__member_versions') }}
),

orders as (
    select * from {{ ref('stg_miniprogram__orders') }}
),

events as (
    select * from {{ ref('stg_miniprogram__events') }}
),

contact_events as (
    select * from {{ ref('stg_wecom__contact_events') }}
),

interactions as (
    select * from {{ ref('stg_wecom__interactions') }}
),

offline_orders as (
    select * from {{ ref('stg_member__offline_orders') }}
),

points_entries as (
    select * from {{ ref('stg_member__points_entries') }}
),

seen as (
    select
        'miniprogram' as source_system,
        'openid' as anchor_type,
        openid as anchor_value,
        'openid' as identifier_type,
        openid as raw_value,
        extract_date
    from user_versions
    union all
    select 'miniprogram', 'openid', openid, 'unionid', unionid, extract_date
    from user_versions where unionid is not null
    union all
    select 'miniprogram', 'openid', openid, 'mobile', mobile, extract_date
    from user_versions where mobile is not null
    union all
    select 'miniprogram', 'openid', openid, 'openid', openid, first_extract_date
    from orders
    union all
    select 'miniprogram', 'openid', openid, 'openid', openid, first_extract_date
    from events
    union all
    select
        'wecom', 'external_userid', external_userid, 'external_userid', external_userid,
        extract_date
    from contact_versions
    union all
    select 'wecom', 'external_userid', external_userid, 'unionid', unionid, extract_date
    from contact_versions where unionid is not null
    union all
    select
        'wecom', 'external_userid', external_userid, 'mobile', unnest(remark_mobiles),
        extract_date
    from follow_user_versions
    union all
    select
        'wecom', 'external_userid', external_userid, 'external_userid', external_userid,
        first_extract_date
    from contact_events
    union all
    select
        'wecom', 'external_userid', external_userid, 'external_userid', external_userid,
        first_extract_date
    from interactions
    union all
    select 'member', 'member_id', member_id, 'member_id', member_id, extract_date
    from member_versions
    union all
    select 'member', 'member_id', member_id, 'mobile', mobile, extract_date
    from member_versions where mobile is not null
    union all
    select 'member', 'member_id', member_id, 'unionid', unionid, extract_date
    from member_versions where unionid is not null
    union all
    select 'member', 'member_id', member_id, 'member_id', member_id, first_extract_date
    from offline_orders
    union all
    select 'member', 'member_id', member_id, 'member_id', member_id, first_extract_date
    from points_entries
),

distinct_seen as (
    select
        source_system,
        anchor_type,
        trim(anchor_value) as anchor_value,
        identifier_type,
        raw_value,
        min(extract_date) as first_seen_date
    from seen
    where nullif(trim(raw_value), '') is not null
    group by all
),

normalised as (
    select
        *,
        case
            when identifier_type = 'mobile'
                then {{ normalised_mobile(mobile_digits('raw_value')) }}
            else trim(raw_value)
        end as candidate_value
    from distinct_seen
),

judged as (
    select
        *,
        case
            when {{ blocklisted('raw_value') }} or {{ blocklisted('candidate_value') }}
                then 'blocklisted'
            when identifier_type = 'mobile' and not {{ valid_mobile('candidate_value') }}
                then 'invalid_mobile'
        end as rejection,
        {{ blocklisted('anchor_value') }} or anchor_value = '' as anchor_rejected
    from normalised
),

final as (
    select
        source_system,
        case
            when not anchor_rejected then {{ identifier_key('anchor_type', 'anchor_value') }}
        end as anchor_key,
        identifier_type,
        raw_value,
        case when rejection is null then candidate_value end as identifier_value,
        case
            when rejection is null then {{ identifier_key('identifier_type', 'candidate_value') }}
        end as identifier_key,
        rejection,
        first_seen_date
    from judged
)

select * from final
