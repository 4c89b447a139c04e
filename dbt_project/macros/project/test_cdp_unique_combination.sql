{#- Generic test: the combination of columns is unique (no dbt hub package: dbt_utils'
    unique_combination_of_columns is not reachable offline). -#}
{% test cdp_unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
