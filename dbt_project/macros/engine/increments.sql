{#- The incremental models per engine. DuckDB: the increments of
    macros/increments/extract_increment.sql (a night adds its folders; docs/incremental.md).
    Spark, so far: every night rebuilds the table in full, so the model is a `table` there and
    logs no increment. On plain Parquet tables `reset_increment`'s `delete` does not exist and
    `delete+insert` is no dbt-spark strategy (`insert_overwrite` of partitions is; `merge`
    needs Delta or Iceberg).

    increment_materialization(): the model's `materialized`.
    record_increment_hook(source_system, entity, settings): the model's post-hook, in place of
      `record_increment` (its query casts to `varchar`, which Spark refuses without a length). -#}

{% macro increment_materialization() -%}
    {{- return(adapter.dispatch('increment_materialization')()) -}}
{%- endmacro %}

{% macro default__increment_materialization() -%}
    {{- return('incremental') -}}
{%- endmacro %}

{% macro spark__increment_materialization() -%}
    {{- return('table') -}}
{%- endmacro %}

{% macro record_increment_hook(source_system=none, entity=none, settings=none) -%}
    {{- return(adapter.dispatch('record_increment_hook')(source_system, entity, settings)) -}}
{%- endmacro %}

{% macro default__record_increment_hook(source_system=none, entity=none, settings=none) -%}
    {{- return(record_increment(source_system, entity, settings)) -}}
{%- endmacro %}

{% macro spark__record_increment_hook(source_system=none, entity=none, settings=none) -%}
    {{- return('select 1') -}}
{%- endmacro %}

{#- int_identity__identifiers' post-hook, in place of `drop_shared_identifiers` (a `delete`):
    on Spark the full build it always is never holds a shared identifier. -#}
{% macro drop_shared_identifiers_hook() -%}
    {{- return(adapter.dispatch('drop_shared_identifiers_hook')()) -}}
{%- endmacro %}

{% macro default__drop_shared_identifiers_hook() -%}
    {{- return(drop_shared_identifiers()) -}}
{%- endmacro %}

{% macro spark__drop_shared_identifiers_hook() -%}
    {{- return('select 1') -}}
{%- endmacro %}
