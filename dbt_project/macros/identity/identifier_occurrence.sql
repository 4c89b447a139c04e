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

{#- int_identity__identifier_occurrences on a night (`since` set): of the occurrences the
    night's rows give, those not recorded yet or seen earlier than recorded (a first-seen
    date only ever moves earlier); without since, all of them. An occurrence is keyed by
    system, anchor key (null when the anchor is rejected), type and raw value. -#}
{% macro new_or_earlier_occurrences(relation, since) -%}
    select {{ relation }}.*
    from {{ relation }}
    {%- if since %}
    left join {{ this }} as recorded
        on
            {{ relation }}.source_system = recorded.source_system
            and {{ relation }}.anchor_key is not distinct from recorded.anchor_key
            and {{ relation }}.identifier_type = recorded.identifier_type
            and {{ relation }}.raw_value = recorded.raw_value
    where
        recorded.first_seen_date is null
        or {{ relation }}.first_seen_date < recorded.first_seen_date
    {%- endif %}
{%- endmacro %}
