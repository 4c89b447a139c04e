{#- ln of a monthly value over the previous month's (playbook §14), in a query ordered by
    `month`; null where either value is null or not positive (so in the first month). -#}
{% macro log_change(column) -%}
    ln(
        nullif(greatest({{ column }}, 0), 0)
        / nullif(greatest(lag({{ column }}) over (order by month), 0), 0)
    )
{%- endmacro %}
