-- WeCom interactions (chats, group chats, moments) that happened by the end of D.
with

source as (
    select * from {{ source('wecom', 'interactions') }}
),

latest as (
    {{ latest_versions('source', key='interaction_id', dated='cast(occurred_at as date)') }}
),

renamed as (
    select
        interaction_id,
        external_userid,
        userid,
        channel,
        direction,
        {{ local_to_utc('occurred_at') }} as occurred_at,
        cast(occurred_at as date) as occurred_date,
        _first_extract_date as first_extract_date,
        _extract_date as extract_date
    from latest
)

select * from renamed
