{#- The run's as-of date D (var `as_of`; empty = today in Asia/Shanghai), as a SQL date. -#}
{% macro as_of_date() -%}
    {%- set value = var('as_of', '') | string | trim -%}
    {%- if not value -%}
        {%- set value = modules.datetime.datetime.now(modules.pytz.timezone('Asia/Shanghai')).date().isoformat() -%}
    {%- endif -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value) -%}
        {{ exceptions.raise_compiler_error("var as_of: '" ~ value ~ "' is not a date (YYYY-MM-DD)") }}
    {%- endif -%}
    date '{{ value }}'
{%- endmacro %}
