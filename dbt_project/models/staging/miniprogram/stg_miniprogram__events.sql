-- Mini-program tracking events that happened by the end of D (one row per `event_id`).
with

source as (
    select * from {{ source('miniprogram', 'events') }}
),

latest as (
    select
        *,
        min(_extract_date) over (partition by event_id) as _first_extract_date
    from source
    where
        _extract_date <= {{ as_of_date() }}
        and cast(event_at as date) <= {{ as_of_date() }}
    qualify row_number() over (
        partition by event_id order by _extract_date desc, _line desc
    ) = 1
),

renamed as (
    select
        event_id,
        openid,
        event_name,
        {{ local_to_utc('event_at') }} as event_at,
        cast(event_at as date) as event_date,
        properties,
        _first_extract_date as first_extract_date,
        _extract_date as extract_date
    from latest
)

select * from renamed
