{#- The vars that decide which orders count (rules §2), as one value: int_customers__orders is rebuilt in
    full when they change (macros/increments/extract_increment.sql, `settings`). -#}
{% macro qualifying_statuses() -%}
    {{- return({
        'miniprogram': var('qualifying_miniprogram_statuses'),
        'member': var('qualifying_offline_statuses'),
    }) -}}
{%- endmacro %}
