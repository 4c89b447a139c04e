{#- Spark, so far: tables DuckDB wrote, exported as Parquet folders `<location>/<schema>/<table>/`
    (ingestion/parquet_export.py) and registered under the same `<schema>.<table>`: the raw
    tables ingestion loaded (the `raw` schema the sources name) and the tables of the models
    that do not run on Spark yet (the Python models, dbt-spark runs them only on Databricks),
    which ref() then finds where it looks. Run once after each export:
    `dbt run-operation register_parquet_tables --args '{location: ..., tables: [raw.x, ...]}'`.
    A table over a `location` is external: dropping it leaves its files. -#}
{% macro register_parquet_tables(location, tables) -%}
    {%- set schemas = [] -%}
    {%- for table in tables -%}
        {%- do schemas.append(table.split('.')[0]) -%}
    {%- endfor -%}
    {%- for schema in schemas | unique -%}
        {%- do run_query('create schema if not exists ' ~ schema) -%}
    {%- endfor -%}
    {%- for table in tables -%}
        {%- do run_query('drop table if exists ' ~ table) -%}
        {%- do run_query(
            'create table ' ~ table ~ " using parquet location '"
            ~ location ~ '/' ~ table.replace('.', '/', 1) ~ "'"
        ) -%}
    {%- endfor -%}
    {{- log('registered ' ~ tables | length ~ ' tables from ' ~ location, info=true) -}}
{%- endmacro %}
