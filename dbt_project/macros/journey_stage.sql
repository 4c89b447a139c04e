{#- The T+ journey stage (rules §4) of a journey day: the last stage of var `journey_stages`
    whose `from_day` the day has reached. Renders one line of SQL. -#}
{% macro journey_stage(journey_day) -%}
    case
    {%- for stage in var('journey_stages') | reverse %} when {{ journey_day }} >= {{ stage.from_day }} then '{{ stage.stage }}'
    {%- endfor %} end
{%- endmacro %}
