{#- Date arithmetic whose result differs: DuckDB's `date - date` is a number of days, Spark's
    an interval. -#}

{#- The days from `start` to `end` (an integer: `end - start`), as one term of the
    expression it stands in, whatever `start` and `end` are. -#}
{% macro date_diff_days(end, start) -%}
    {{- adapter.dispatch('date_diff_days')(end, start) -}}
{%- endmacro %}

{% macro default__date_diff_days(end, start) -%}
    ({{ end }} - ({{ start }}))
{%- endmacro %}

{% macro spark__date_diff_days(end, start) -%}
    datediff({{ end }}, {{ start }})
{%- endmacro %}

{#- Integer division rounding down (DuckDB's `//`, Spark's `div`), as one term. -#}
{% macro int_div(dividend, divisor) -%}
    {{- adapter.dispatch('int_div')(dividend, divisor) -}}
{%- endmacro %}

{% macro default__int_div(dividend, divisor) -%}
    (({{ dividend }}) // ({{ divisor }}))
{%- endmacro %}

{% macro spark__int_div(dividend, divisor) -%}
    (({{ dividend }}) div ({{ divisor }}))
{%- endmacro %}

{#- `months` months after the date `start` (DuckDB's is a timestamp). -#}
{% macro add_months(start, months) -%}
    {{- adapter.dispatch('add_months')(start, months) -}}
{%- endmacro %}

{% macro default__add_months(start, months) -%}
    {{ start }} + to_months({{ months }})
{%- endmacro %}

{% macro spark__add_months(start, months) -%}
    add_months({{ start }}, {{ months }})
{%- endmacro %}

{#- A query of the integers from `start` to `stop` (both included) as the column `name`. -#}
{% macro integer_series(name, start, stop) -%}
    {{- adapter.dispatch('integer_series')(name, start, stop) -}}
{%- endmacro %}

{% macro default__integer_series(name, start, stop) -%}
    select generate_series as {{ name }}
    from generate_series({{ start }}, {{ stop }})
{%- endmacro %}

{% macro spark__integer_series(name, start, stop) -%}
    select explode(sequence({{ start }}, {{ stop }})) as {{ name }}
{%- endmacro %}

{#- A table `series (month_start)` of the first days of the months from the month of the date
    `first` to that of the date `last`, both included (DuckDB's are timestamps). -#}
{% macro month_series(first, last) -%}
    {{- adapter.dispatch('month_series')(first, last) -}}
{%- endmacro %}

{% macro default__month_series(first, last) -%}
    range(
        cast(date_trunc('month', {{ first }}) as timestamp),
        cast(date_trunc('month', {{ last }}) + interval 1 month as timestamp),
        interval 1 month
    ) as series (month_start)
{%- endmacro %}

{% macro spark__month_series(first, last) -%}
    (
        select explode(sequence(
            cast(date_trunc('month', {{ first }}) as date),
            cast(date_trunc('month', {{ last }}) as date),
            interval 1 month
        )) as month_start
    ) as series
{%- endmacro %}
