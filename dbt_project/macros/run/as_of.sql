{#- The run's as-of date D, as a SQL date: var `as_of`, else (while executing) the environment
    variable CDP_AS_OF, else today in Asia/Shanghai. `cdp run` and the Dagster asset pass D
    through CDP_AS_OF, not --vars: dbt parses the whole project again whenever --vars change,
    and an environment variable read only while executing leaves partial parsing intact. -#}
{% macro as_of_date() -%}
    date '{{ as_of_value() }}'
{%- endmacro %}

{#- D as a string, YYYY-MM-DD. -#}
{% macro as_of_value() -%}
    {%- set value = run_date_var('as_of') -%}
    {%- if not value -%}
        {%- set value = modules.datetime.datetime.now(modules.pytz.timezone('Asia/Shanghai')).date().isoformat() -%}
    {%- endif -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value) -%}
        {{ exceptions.raise_compiler_error("var as_of: '" ~ value ~ "' is not a date (YYYY-MM-DD)") }}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}

{#- A date var that changes from run to run (`as_of`, `last_published_as_of`): the var when
    set, else (while executing) the environment variable CDP_<NAME>; '' when neither is. -#}
{% macro run_date_var(name) -%}
    {%- set value = var(name, '') | string | trim -%}
    {%- if not value and execute -%}
        {%- set value = env_var('CDP_' ~ name | upper, '') | trim -%}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}
