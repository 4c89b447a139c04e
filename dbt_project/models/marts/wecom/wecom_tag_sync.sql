-- What the WeCom tag sync must change, as of D (published.md): one row per active (staff,
-- customer) relationship whose CDP tags in WeCom differ from `customer_tags`. The CDP owns
-- the WeCom tag groups `<prefix><group>` (var `wecom_tag_prefix`, default `CDP-`) for the
-- groups in var `wecom_sync_groups`; a tag is `<prefix><group>/<tag_value>`. A
-- relationship is active when it is in the newest contact snapshot dated ≤ D, unless a later
-- contact event (dated after that snapshot, ≤ D) removed it; one added by a later event is
-- active with no tags yet. Tags of other groups are never touched.
{%- set prefix_length = var('wecom_tag_prefix') | length %}
{%- set wecom_prefix = "'" ~ (var('wecom_tag_prefix') | replace("'", "''")) ~ "'" %}
with

follow_users as (
    select * from {{ ref('stg_wecom__follow_users') }}
),

contact_events as (
    select * from {{ ref('stg_wecom__contact_events') }}
),

contact_tags as (
    select * from {{ ref('stg_wecom__contact_tags') }}
),

customer_tags as (
    select * from {{ ref('customer_tags') }}
),

identifiers as (
    select * from {{ ref('int_identity__customer_identifiers') }}
),

snapshot_date as (
    select max(extract_date) as extract_date
    from follow_users
),

later_events as (
    select
        contact_events.external_userid,
        contact_events.userid,
        contact_events.change_type in (
            'del_external_contact', 'del_follow_user'
        ) as is_removed
    from contact_events
    cross join snapshot_date
    where
        contact_events.external_userid is not null
        and contact_events.userid is not null
        and (
            snapshot_date.extract_date is null
            or contact_events.changed_date > snapshot_date.extract_date
        )
    qualify row_number() over (
        partition by contact_events.external_userid, contact_events.userid
        order by contact_events.changed_at desc, is_removed desc
    ) = 1
),

relationships as (
    select
        external_userid,
        userid
    from follow_users
    union
    select
        external_userid,
        userid
    from later_events
    where not is_removed
),

active_relationships as (
    select
        relationships.external_userid,
        relationships.userid,
        identifiers.customer_id
    from relationships
    inner join identifiers
        on {{ customer_of('identifiers', 'external_userid', 'relationships.external_userid') }}
    left join later_events
        on
            relationships.external_userid = later_events.external_userid
            and relationships.userid = later_events.userid
    where not coalesce(later_events.is_removed, false)
),

in_wecom as (
    select distinct
        contact_tags.external_userid,
        contact_tags.userid,
        contact_tags.group_name || '/' || contact_tags.tag_name as tag
    from contact_tags
    where
        {{ has_prefix('contact_tags.group_name', wecom_prefix) }}
        and substr(contact_tags.group_name, {{ prefix_length + 1 }})
        in ({{ sql_string_list(var('wecom_sync_groups')) }})
),

wanted_per_customer as (
    select distinct
        customer_id,
        {{ wecom_prefix }} || tag_group || '/' || tag_value as tag
    from customer_tags
    where
        tag_source = 'rule'
        and tag_group in ({{ sql_string_list(var('wecom_sync_groups')) }})
),

wanted as (
    select
        active_relationships.external_userid,
        active_relationships.userid,
        wanted_per_customer.tag
    from active_relationships
    inner join wanted_per_customer
        on active_relationships.customer_id = wanted_per_customer.customer_id
),

to_add as (
    select * from wanted
    except
    select * from in_wecom
),

to_remove as (
    select in_wecom.* from in_wecom
    inner join active_relationships
        on
            in_wecom.external_userid = active_relationships.external_userid
            and in_wecom.userid = active_relationships.userid
    except
    select * from wanted
),

changes as (
    select
        external_userid,
        userid,
        tag,
        true as is_add
    from to_add
    union all
    select
        external_userid,
        userid,
        tag,
        false as is_add
    from to_remove
),

final as (
    select
        active_relationships.userid,
        active_relationships.external_userid,
        active_relationships.customer_id,
        cast(coalesce(
            {{ sorted_list('changes.tag', where='changes.is_add') }}, {{ empty_list() }}
        ) as {{ sql_type('varchar[]') }}) as add_tags,
        cast(coalesce(
            {{ sorted_list('changes.tag', where='not changes.is_add') }}, {{ empty_list() }}
        ) as {{ sql_type('varchar[]') }}) as remove_tags,
        {{ as_of_date() }} as as_of_date
    from changes
    inner join active_relationships
        on
            changes.external_userid = active_relationships.external_userid
            and changes.userid = active_relationships.userid
    group by
        active_relationships.userid,
        active_relationships.external_userid,
        active_relationships.customer_id
)

select * from final
