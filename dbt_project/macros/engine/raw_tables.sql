{#- Spark, so far: the raw tables ingestion wrote into DuckDB, exported as Parquet folders
    `<location>/<table>/` (ingestion/parquet_export.py), registered as the tables of the
    `raw` schema that the sources name. Run once after each export:
    `dbt run-operation register_raw_tables --args '{location: ..., tables: [...]}'`. A table
    over a `location` is external: dropping it leaves its files. -#}
{% macro register_raw_tables(location, tables) -%}
    {%- do run_query('create schema if not exists raw') -%}
    {%- for table in tables -%}
        {%- do run_query('drop table if exists raw.' ~ table) -%}
        {%- do run_query(
            'create table raw.' ~ table ~ " using parquet location '" ~ location ~ '/' ~ table ~ "'"
        ) -%}
    {%- endfor -%}
    {{- log('registered ' ~ tables | length ~ ' raw tables from ' ~ location, info=true) -}}
{%- endmacro %}
