{#- The `delete+insert` incremental strategy on Spark, which dbt-spark lacks (it has
    `append`, `insert_overwrite` of partitions, and `merge` for Delta or Iceberg tables).
    These two macros stand in for dbt-spark's own of the same names, which its incremental
    materialization calls (a macro of the root project comes first); every other strategy
    is dbt-spark's.

    As on DuckDB: the model's new rows are computed first (they may read the table, as the
    history tables do), then the rows of the table with the same `unique_key` are deleted and
    the new rows inserted, here in one rewrite of the table (rewrite.sql). -#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) -%}
    {%- if raw_strategy == 'delete+insert' -%}
        {{- return(raw_strategy) -}}
    {%- endif -%}
    {{- return(dbt.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) -}}
{%- endmacro %}

{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) -%}
    {%- if strategy != 'delete+insert' -%}
        {{- return(dbt.dbt_spark_get_incremental_sql(
            strategy, source, target, existing, unique_key, incremental_predicates
        )) -}}
    {%- endif -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set new = target.incorporate(path={'identifier': target.identifier ~ '__dbt_new'}) -%}
    {%- set columns = adapter.get_columns_in_relation(target) | map(attribute='quoted') | join(', ') -%}
    {%- set matches = [] -%}
    {%- for key in keys -%}
        {%- do matches.append('n.' ~ key ~ ' = t.' ~ key) -%}
    {%- endfor -%}
    {%- do run_query('drop table if exists ' ~ new) -%}
    {%- do run_query('create table ' ~ new ~ ' using parquet as select ' ~ columns ~ ' from ' ~ source) -%}
    {%- do spark_rewrite(
        target,
        keep='not exists (select 1 from ' ~ new ~ ' as n where ' ~ matches | join(' and ') ~ ')',
        add=new,
    ) -%}
    {{- return('drop table ' ~ new) -}}
{%- endmacro %}
