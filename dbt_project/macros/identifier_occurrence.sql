{#- One branch of int_identity__identifier_occurrences: the identifiers of one type on the
    records of a relation of a source system (`value`: an expression, default the column
    named like the type), with the record's key identifier (its anchor: openid,
    external_userid or member_id, by system) and the date it was seen on. -#}
{% macro identifier_occurrence(relation, source_system, identifier_type, seen_on, value=none) -%}
    {%- set anchor = {
        'miniprogram': 'openid', 'wecom': 'external_userid', 'member': 'member_id'
    }[source_system] -%}
    select
        '{{ source_system }}' as source_system,
        '{{ anchor }}' as anchor_type,
        {{ anchor }} as anchor_value,
        '{{ identifier_type }}' as identifier_type,
        {{ value or identifier_type }} as raw_value,
        {{ seen_on }} as extract_date
    from {{ relation }}
{%- endmacro %}
