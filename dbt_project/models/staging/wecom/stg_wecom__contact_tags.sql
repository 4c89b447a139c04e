-- The tags staff put on customers, as of D: one row per (staff, customer, tag) of the newest
-- contact snapshot dated ≤ D.
with

follow_users as (
    select * from {{ ref('stg_wecom__follow_users') }}
),

unnested as (
    select
        external_userid,
        userid,
        {{ unnest_list('tags') }} as tag
    from follow_users
),

final as (
    select distinct
        external_userid,
        userid,
        tag.group_name as group_name,
        tag.tag_name as tag_name,
        tag.type as tag_type,
        tag.tag_id as tag_id
    from unnested
    where tag.tag_name is not null
)

select * from final
