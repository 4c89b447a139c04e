{#- The raw tables on Spark. Ingestion reads the extracts on Spark and writes each raw table
    as a Parquet folder `<location>/<table>/`, partitioned by `_extract_date`, or one empty
    file of its columns before its first load (ingestion/spark_loader.py).
    `register_raw_tables`, the project's on-run-start hook, registers every source table of
    the `raw` schema over its folder, so `source()` finds it: a table over a location is
    external, and dropping it leaves its files. Where the catalog keeps a partitioned table's
    partitions (`spark.sql.hive.manageFilesourcePartitions`, true on a cluster by default), a
    new table lists none: the hook recovers them from the folders. The local session keeps
    none (profiles.yml): Spark lists the folders as it reads, and the hook has two statements
    a table instead of four (a hook of 6 s instead of 13 s on a small night here). DuckDB
    reads its own `raw` schema: nothing to do there.

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
        {%- set managed = run_query('set spark.sql.hive.manageFilesourcePartitions') -%}
        {%- set tracked = managed.columns[1].values()[0] | lower == 'true' -%}
        {%- do run_query('create schema if not exists raw') -%}
        {%- for table in tables | unique | sort -%}
            {%- do run_query('drop table if exists raw.' ~ table) -%}
            {%- do run_query(
                'create table raw.' ~ table ~ " using parquet location '"
                ~ location ~ '/' ~ table ~ "'"
            ) -%}
            {%- if tracked -%}
                {%- set described = run_query('describe table raw.' ~ table) -%}
                {%- if '# Partition Information' in described.columns[0].values() -%}
                    {%- do run_query('alter table raw.' ~ table ~ ' recover partitions') -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return('select 1') -}}
{%- endmacro %}
