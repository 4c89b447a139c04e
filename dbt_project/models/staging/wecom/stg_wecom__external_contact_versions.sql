-- Every version of every WeCom external contact in the snapshots dated ≤ D, the JSON parsed
-- once into typed fields; `follow_users` keeps the list of (staff, customer) relationships,
-- `last_follow_created_date` the local date of the latest of them (how a night finds, without
-- reading every list, the relationships whose creation date has just passed: see
-- stg_wecom__follow_user_versions).
{{ config(
    materialized=increment_materialization(),
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ reset_increment('wecom', 'external_contacts') }}",
    post_hook="{{ record_increment('wecom', 'external_contacts') }}",
) }}
{%- set since = extract_increment('wecom', 'external_contacts') %}

with

source as (
    select * from {{ source('wecom', 'external_contacts') }}
    where {{ increment_rows(since) }}
),

parsed as (
    select
        external_userid,
        {{ parse_json('record', {
            "external_contact": {
                "name": "VARCHAR", "type": "INTEGER", "gender": "INTEGER",
                "unionid": "VARCHAR"
            },
            "follow_user": [{
                "userid": "VARCHAR", "remark": "VARCHAR", "description": "VARCHAR",
                "createtime": "BIGINT", "remark_mobiles": ["VARCHAR"],
                "add_way": "INTEGER", "oper_userid": "VARCHAR", "state": "VARCHAR",
                "tags": [{
                    "group_name": "VARCHAR", "tag_name": "VARCHAR",
                    "type": "INTEGER", "tag_id": "VARCHAR"
                }]
            }]
        }) }} as contact,
        _extract_date,
        _line
    from source
),

renamed as (
    select
        external_userid,
        contact.external_contact.name as name,
        contact.external_contact.type as contact_type,
        contact.external_contact.gender as gender,
        nullif(trim(contact.external_contact.unionid), '') as unionid,
        coalesce(contact.follow_user, {{ empty_list() }}) as follow_users,
        {{ local_date(epoch_to_utc(
            list_max_field('contact.follow_user', 'createtime')
        )) }} as last_follow_created_date,
        _extract_date as extract_date,
        _line as source_line
    from parsed
)

select * from renamed
