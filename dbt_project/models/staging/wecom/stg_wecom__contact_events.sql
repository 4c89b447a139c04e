-- WeCom `change_external_contact` callbacks that happened by the end of D.
with

deduplicated as (
    {{ latest_versions(
        source('wecom', 'contact_events'),
        key='ExternalUserID, UserID, ChangeType, CreateTime',
        dated=local_date(epoch_to_utc("CreateTime")),
    ) }}
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
