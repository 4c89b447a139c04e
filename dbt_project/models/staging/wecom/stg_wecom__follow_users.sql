-- The (staff, customer) relationships as of D: the `follow_user` entries of the newest
-- contact snapshot dated ≤ D.
with

versions as (
    select * from {{ ref('stg_wecom__follow_user_versions') }}
),

final as (
    select
        external_userid,
        userid,
        remark,
        description,
        created_at,
        created_date,
        remark_mobiles,
        add_way,
        oper_userid,
        state,
        tags,
        extract_date
    from versions
    where extract_date = {{ newest_snapshot_date('wecom', 'external_contacts') }}
    qualify row_number() over (
        partition by external_userid, userid order by source_line desc
    ) = 1
)

select * from final
