{#- Post-hook of an incremental Python model, outside dbt's transaction.

    On an incremental run dbt-duckdb writes the model's new rows to `<model>__dbt_tmp<time>`
    and merges them from there. For a Python model it creates that table as an ordinary table
    in the connection's default schema, and its materialization only drops the ones that are
    not temporary: without this hook every night would leave one behind in the build database
    (a whole table's rows after a rebuild of the identity chain). -#}
{% macro drop_python_increment_tables() -%}
    {{- adapter.dispatch('drop_python_increment_tables')() -}}
{%- endmacro %}

{#- Spark: the full build it always is (macros/engine/increments.sql) leaves none. -#}
{% macro spark__drop_python_increment_tables() -%}
    select 1
{%- endmacro %}

{% macro default__drop_python_increment_tables() -%}
    {%- if execute -%}
        {%- set found = run_query(
            "select schema_name, table_name from duckdb_tables()"
            ~ " where database_name = current_database() and not temporary"
            ~ " and starts_with(table_name, '" ~ this.identifier ~ "__dbt_tmp')"
        ) -%}
        {%- for row in found.rows %}
            drop table {{ adapter.quote(row[0]) }}.{{ adapter.quote(row[1]) }};
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
