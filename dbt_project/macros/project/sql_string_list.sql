{#- A list var as SQL string literals: `'paid', 'shipped'` (for `in (...)`). -#}
{% macro sql_string_list(items) -%}
    {%- for item in items -%}
        '{{ item | string | replace("'", "''") }}'{{ ", " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
