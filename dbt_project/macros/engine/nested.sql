{#- Lists, structs and JSON: DuckDB's `[]`, `unnest`, `list_*` and lambdas; Spark's
    `array()`, `explode` and higher-order functions. -#}

{#- An empty list (of the type the expression around it needs). -#}
{% macro empty_list() -%}
    {{- adapter.dispatch('empty_list')() -}}
{%- endmacro %}

{% macro default__empty_list() -%}[]{%- endmacro %}

{% macro spark__empty_list() -%}array(){%- endmacro %}

{#- One row per element of a list column (rows with an empty or null list give none). -#}
{% macro unnest_list(list) -%}
    {{- adapter.dispatch('unnest_list')(list) -}}
{%- endmacro %}

{% macro default__unnest_list(list) -%}
    unnest({{ list }})
{%- endmacro %}

{% macro spark__unnest_list(list) -%}
    explode({{ list }})
{%- endmacro %}

{#- The largest `field` of the structs of a list. -#}
{% macro list_max_field(list, field) -%}
    {{- adapter.dispatch('list_max_field')(list, field) -}}
{%- endmacro %}

{% macro default__list_max_field(list, field) -%}
    list_max(list_transform({{ list }}, lambda f: f.{{ field }}))
{%- endmacro %}

{% macro spark__list_max_field(list, field) -%}
    array_max(transform({{ list }}, f -> f.{{ field }}))
{%- endmacro %}

{#- JSON text parsed into typed structs and lists: `shape` is DuckDB's JSON structure (a
    mapping of names to shapes, a one-element list of a shape, or a type name). -#}
{% macro parse_json(column, shape) -%}
    {{- adapter.dispatch('parse_json')(column, shape) -}}
{%- endmacro %}

{% macro default__parse_json(column, shape) -%}
    from_json({{ column }}, '{{ tojson(shape) }}')
{%- endmacro %}

{% macro spark__parse_json(column, shape) -%}
    from_json({{ column }}, '{{ spark_json_type(shape) }}')
{%- endmacro %}

{% macro spark_json_type(shape) -%}
    {%- if shape is mapping -%}
        {%- set fields = [] -%}
        {%- for name, inner in shape.items() -%}
            {%- do fields.append('`' ~ name ~ '`: ' ~ spark_json_type(inner)) -%}
        {%- endfor -%}
        {{- return('struct<' ~ fields | join(', ') ~ '>') -}}
    {%- elif shape is string -%}
        {{- return(spark_type(shape)) -}}
    {%- else -%}
        {{- return('array<' ~ spark_json_type(shape[0]) ~ '>') -}}
    {%- endif -%}
{%- endmacro %}

{#- The sorted list of an aggregate's values (of the rows `where` keeps, if given); DuckDB's
    is null over no rows, Spark's empty. -#}
{% macro sorted_list(value, where=none, distinct=false) -%}
    {{- adapter.dispatch('sorted_list')(value, where, distinct) -}}
{%- endmacro %}

{% macro default__sorted_list(value, where=none, distinct=false) -%}
    {%- if distinct -%}
        list(distinct {{ value }} order by {{ value }}){% if where %} filter (where {{ where }}){% endif %}
    {%- else -%}
        list_sort(list({{ value }}){% if where %} filter (where {{ where }}){% endif %})
    {%- endif -%}
{%- endmacro %}

{% macro spark__sorted_list(value, where=none, distinct=false) -%}
    array_sort(collect_{{ 'set' if distinct else 'list' }}({{ value }}){% if where %} filter (where {{ where }}){% endif %})
{%- endmacro %}

{#- The sorted list of the distinct non-null values of some expressions of a row. -#}
{% macro sorted_set_of(values) -%}
    {{- adapter.dispatch('sorted_set_of')(values) -}}
{%- endmacro %}

{% macro default__sorted_set_of(values) -%}
    list_sort(list_distinct(list_value({{ values | join(', ') }})))
{%- endmacro %}

{% macro spark__sorted_set_of(values) -%}
    array_sort(array_distinct(array_compact(array({{ values | join(', ') }}))))
{%- endmacro %}
