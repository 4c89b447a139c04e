-- Mini-program tracking events that happened by the end of D (one row per `event_id`).
with

source as (
    select * from {{ source('miniprogram', 'events') }}
),

latest as (
    {{ latest_versions('source', key='event_id', dated='cast(event_at as date)') }}
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
