-- Every (staff, customer) relationship in every WeCom contact snapshot dated ≤ D, one row
-- per `follow_user` entry; relationships created after D do not count yet. A night adds the
-- entries of the new snapshots and those whose creation date has passed since the last build
-- (docs/incremental.md).
{{ config(
    materialized=increment_materialization(),
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ reset_increment('wecom', 'external_contacts') }}",
    post_hook="{{ record_increment('wecom', 'external_contacts') }}",
) }}
{%- set since = extract_increment('wecom', 'external_contacts') %}

with

versions as (
    select * from {{ ref('stg_wecom__external_contact_versions') }}
    where {{ added_since(since, ['extract_date', 'last_follow_created_date']) }}
),

unnested as (
    select
        external_userid,
        {{ unnest_list('follow_users') }} as follow_user,
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
        coalesce(follow_user.remark_mobiles, {{ empty_list() }}) as remark_mobiles,
        follow_user.add_way as add_way,
        follow_user.oper_userid as oper_userid,
        follow_user.state as state,
        coalesce(follow_user.tags, {{ empty_list() }}) as tags,
        extract_date,
        source_line
    from unnested
),

final as (
    select * from renamed
    where
        userid is not null
        and created_date <= {{ as_of_date() }}
        and {{ added_since(since, ['extract_date', 'created_date']) }}
)

select * from final
