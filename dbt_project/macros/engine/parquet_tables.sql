{#- The raw tables on Spark. Ingestion reads the extracts on Spark and writes each raw table
    as a Parquet folder `<location>/<table>/`, partitioned by `_extract_date`, or one empty
    file of its columns before its first load (ingestion/spark_loader.py).
    `register_raw_tables`, the project's on-run-start hook, registers every source table of
    the `raw` schema over its folder, so `source()` finds it, and recovers the partitions of
    a partitioned one (the catalog lists a table's partitions; a new table lists none): a
    table over a location is external, and dropping it leaves its files. DuckDB reads its own
    `raw` schema: nothing to do there.

    The location is the var `raw_location`, else `<CDP_WAREHOUSE_DIR>/spark/raw`, where
    ingestion writes (a cluster reads the folder the loads were copied to). -#}
{% macro register_raw_tables() -%}
    {{- return(adapter.dispatch('register_raw_tables')()) -}}
{%- endmacro %}

{% macro default__register_raw_tables() -%}
    {{- return('select 1') -}}
{%- endmacro %}

{% macro spark__register_raw_tables() -%}
    {%- if execute -%}
        {%- set location = var('raw_location', none)
            or env_var('CDP_WAREHOUSE_DIR', '../data/warehouse') ~ '/spark/raw' -%}
        {%- set tables = [] -%}
        {%- for node in graph.sources.values() if node.schema == 'raw' -%}
            {%- do tables.append(node.identifier) -%}
        {%- endfor -%}
        {%- do run_query('create schema if not exists raw') -%}
        {%- for table in tables | unique | sort -%}
            {%- do run_query('drop table if exists raw.' ~ table) -%}
            {%- do run_query(
                'create table raw.' ~ table ~ " using parquet location '"
                ~ location ~ '/' ~ table ~ "'"
            ) -%}
            {%- set described = run_query('describe table raw.' ~ table) -%}
            {%- if '# Partition Information' in described.columns[0].values() -%}
                {%- do run_query('alter table raw.' ~ table ~ ' recover partitions') -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return('select 1') -}}
{%- endmacro %}
