-- The member records as of D: the newest snapshot dated ≤ D.
with

versions as (
    select * from {{ ref('stg_member__member_versions') }}
),

final as (
    select
        member_id,
        mobile,
        unionid,
        name,
        gender,
        birthday,
        registered_at,
        registered_date,
        register_store_id,
        tier_code,
        points_balance,
        status,
        extract_date
    from versions
    where extract_date = {{ newest_snapshot_date('member', 'members') }}
    qualify row_number() over (partition by member_id order by source_line desc) = 1
)

select * from final
