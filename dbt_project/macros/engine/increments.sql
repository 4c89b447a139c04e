{#- The incremental models per engine. DuckDB: the increments of
    macros/increments/extract_increment.sql (a night adds its folders; docs/incremental.md).
    Spark: every night rebuilds these tables in full, so the model is a `table` there and
    logs no increment. On plain Parquet tables `reset_increment`'s `delete` does not exist,
    and rewriting a whole table to add a night's rows would cost what rebuilding it costs.

    The tables that keep history across runs (the id history, the tier history, the daily
    lifecycle counts, the action history, the identity graph's stats) are not increments:
    they are `incremental` on both engines, and on Spark their hooks and `delete+insert` rewrite
    the table (rewrite.sql, delete_insert.sql).

    increment_materialization(): the model's `materialized`. The hooks of the increments
    (`record_increment`, `drop_shared_identifiers`) do nothing on Spark. -#}

{% macro increment_materialization() -%}
    {{- return(adapter.dispatch('increment_materialization')()) -}}
{%- endmacro %}

{% macro default__increment_materialization() -%}
    {{- return('incremental') -}}
{%- endmacro %}

{% macro spark__increment_materialization() -%}
    {{- return('table') -}}
{%- endmacro %}
