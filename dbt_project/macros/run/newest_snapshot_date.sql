{#- The extract date of the newest snapshot file of an entity loaded for a date ≤ D, from the
    load log: a snapshot file that loaded no rows still counts as the newest snapshot (the
    quality gate judges such a shrink), a folder without the file does not. -#}
{% macro newest_snapshot_date(source_system, entity) -%}
    (
        select max(loads.extract_date)
        from {{ source('ingestion', '_loads') }} as loads
        where
            loads.source = '{{ source_system }}'
            and loads.entity = '{{ entity }}'
            and loads.extract_date <= {{ as_of_date() }}
    )
{%- endmacro %}
