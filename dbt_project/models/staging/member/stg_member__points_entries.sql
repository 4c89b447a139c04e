-- Points ledger entries that happened by the end of D (one row per `entry_id`).
with

source as (
    select * from {{ source('member', 'points_ledger') }}
),

latest as (
    select
        *,
        min(_extract_date) over (partition by entry_id) as _first_extract_date
    from source
    where
        _extract_date <= {{ as_of_date() }}
        and cast(occurred_at as date) <= {{ as_of_date() }}
    qualify row_number() over (
        partition by entry_id order by _extract_date desc, _line desc
    ) = 1
),

renamed as (
    select
        entry_id,
        member_id,
        points_delta,
        reason,
        {{ local_to_utc('occurred_at') }} as occurred_at,
        cast(occurred_at as date) as occurred_date,
        {{ local_to_utc('expires_at') }} as expires_at,
        _first_extract_date as first_extract_date,
        _extract_date as extract_date
    from latest
)

select * from renamed
