-- WeCom `change_external_contact` callbacks that happened by the end of D.
with

source as (
    select * from {{ source('wecom', 'contact_events') }}
),

deduplicated as (
    select
        *,
        min(_extract_date) over (
            partition by ExternalUserID, UserID, ChangeType, CreateTime
        ) as _first_extract_date
    from source
    where
        _extract_date <= {{ as_of_date() }}
        and {{ local_date(epoch_to_utc('CreateTime')) }} <= {{ as_of_date() }}
    qualify row_number() over (
        partition by ExternalUserID, UserID, ChangeType, CreateTime
        order by _extract_date desc, _line desc
    ) = 1
),

renamed as (
    select
        ExternalUserID as external_userid,
        UserID as userid,
        ChangeType as change_type,
        {{ epoch_to_utc('CreateTime') }} as changed_at,
        {{ local_date(epoch_to_utc('CreateTime')) }} as changed_date,
        nullif(trim(State), '') as state,
        _first_extract_date as first_extract_date,
        _extract_date as extract_date
    from deduplicated
)

select * from renamed
