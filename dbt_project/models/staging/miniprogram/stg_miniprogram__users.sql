-- The mini-program users as of D: the newest snapshot dated ≤ D.
with

versions as (
    select * from {{ ref('stg_miniprogram__user_versions') }}
),

final as (
    select
        openid,
        unionid,
        mobile,
        nickname,
        registered_at,
        registered_date,
        extract_date
    from versions
    where extract_date = {{ newest_snapshot_date('miniprogram', 'users') }}
    qualify row_number() over (partition by openid order by source_line desc) = 1
)

select * from final
