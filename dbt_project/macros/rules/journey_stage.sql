{#- The T+ stage of a journey day: the last stage of the stages var (`journey_stages`, rules
    §4, by default; `purchase_journey_stages`, playbook §9) whose `from_day` the day has
    reached; null for a null day. Renders one line of SQL. -#}
{% macro journey_stage(journey_day, stages='journey_stages') -%}
    case
    {%- for stage in var(stages) | reverse %} when {{ journey_day }} >= {{ stage.from_day }} then '{{ stage.stage }}'
    {%- endfor %} end
{%- endmacro %}
