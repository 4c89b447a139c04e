{#- Aggregates that pick a row's value: DuckDB's `arg_min`/`arg_max` over a row of keys,
    Spark's `min_by`/`max_by` over a struct of them. -#}

{#- `value` of the row with the smallest `keys` (a list of SQL expressions, compared in
    order). -#}
{% macro arg_min_by(value, keys) -%}
    {{- adapter.dispatch('arg_min_by')(value, keys) -}}
{%- endmacro %}

{% macro default__arg_min_by(value, keys) -%}
    arg_min({{ value }}, {% if keys | length > 1 %}({{ keys | join(', ') }}){% else %}{{ keys[0] }}{% endif %})
{%- endmacro %}

{% macro spark__arg_min_by(value, keys) -%}
    min_by({{ value }}, {% if keys | length > 1 %}struct({{ keys | join(', ') }}){% else %}{{ keys[0] }}{% endif %})
{%- endmacro %}

{#- `value` of the row with the largest `keys`. -#}
{% macro arg_max_by(value, keys) -%}
    {{- adapter.dispatch('arg_max_by')(value, keys) -}}
{%- endmacro %}

{% macro default__arg_max_by(value, keys) -%}
    arg_max({{ value }}, {% if keys | length > 1 %}({{ keys | join(', ') }}){% else %}{{ keys[0] }}{% endif %})
{%- endmacro %}

{% macro spark__arg_max_by(value, keys) -%}
    max_by({{ value }}, {% if keys | length > 1 %}struct({{ keys | join(', ') }}){% else %}{{ keys[0] }}{% endif %})
{%- endmacro %}

{#- The sum of a decimal column as DuckDB types it (`decimal(38, s)`); Spark's sum widens
    the precision by 10 only. -#}
{% macro decimal_sum(value, scale=2) -%}
    {{- adapter.dispatch('decimal_sum')(value, scale) -}}
{%- endmacro %}

{% macro default__decimal_sum(value, scale=2) -%}
    sum({{ value }})
{%- endmacro %}

{% macro spark__decimal_sum(value, scale=2) -%}
    cast(sum({{ value }}) as decimal(38, {{ scale }}))
{%- endmacro %}
