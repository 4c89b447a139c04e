{#- The incremental models per engine. DuckDB: the increments of
    macros/increments/extract_increment.sql (a night adds its folders; docs/incremental.md).
    Spark, so far: every night rebuilds the table in full, so the model is a `table` there and
    logs no increment. On plain Parquet tables `reset_increment`'s `delete` does not exist and
    `delete+insert` is no dbt-spark strategy (`insert_overwrite` of partitions is; `merge`
    needs Delta or Iceberg).

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
