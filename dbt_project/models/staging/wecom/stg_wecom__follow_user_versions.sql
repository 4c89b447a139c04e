-- Every (staff, customer) relationship in every WeCom contact snapshot dated ≤ D, one row
-- per `follow_user` entry; relationships created after D do not count yet.
with

versions as (
    select * from {{ ref('stg_wecom__external_contact_versions') }}
),

unnested as (
    select
        external_userid,
        unnest(follow_users) as follow_user,
        extract_date,
        source_line
    from versions
),

renamed as (
    select
        external_userid,
        follow_user.userid as userid,
        follow_user.remark as remark,
        follow_user.description as description,
        {{ epoch_to_utc('follow_user.createtime') }} as created_at,
        {{ local_date(epoch_to_utc('follow_user.createtime')) }} as created_date,
        coalesce(follow_user.remark_mobiles, []) as remark_mobiles,
        follow_user.add_way as add_way,
        follow_user.oper_userid as oper_userid,
        follow_user.state as state,
        coalesce(follow_user.tags, []) as tags,
        extract_date,
        source_line
    from unnested
    where
        follow_user.userid is not null
        and {{ local_date(epoch_to_utc('follow_user.createtime')) }} <= {{ as_of_date() }}
)

select * from renamed
