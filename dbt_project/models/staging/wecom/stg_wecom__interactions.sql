-- WeCom interactions (chats, group chats, moments) that happened by the end of D.
with

source as (
    select * from {{ source('wecom', 'interactions') }}
),

latest as (
    select
        *,
        min(_extract_date) over (partition by interaction_id) as _first_extract_date
    from source
    where
        _extract_date <= {{ as_of_date() }}
        and cast(occurred_at as date) <= {{ as_of_date() }}
    qualify row_number() over (
        partition by interaction_id order by _extract_date desc, _line desc
    ) = 1
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
