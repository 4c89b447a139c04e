-- The WeCom external contacts as of D: the newest snapshot dated ≤ D.
with

versions as (
    select * from {{ ref('stg_wecom__external_contact_versions') }}
),

final as (
    select
        external_userid,
        name,
        contact_type,
        gender,
        unionid,
        follow_users,
        extract_date
    from versions
    where extract_date = {{ newest_snapshot_date('wecom', 'external_contacts') }}
    qualify row_number() over (partition by external_userid order by source_line desc) = 1
)

select * from final
