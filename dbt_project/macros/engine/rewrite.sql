{#- Deleting and updating rows on Spark. Plain Parquet tables have no `delete`, `update` or
    `merge` (those need Delta or Iceberg): what DuckDB does in place, Spark does by writing
    the table's new rows to a scratch table and overwriting the table from it (an
    `insert overwrite` may not read the table it writes). Used by the Spark side of the
    history tables' hooks (`rewind_history`, `prune_action_history`) and of the
    `delete+insert` strategy (delete_insert.sql).

    spark_rewrite(relation, keep, replace, add): the rows of `relation` for which `keep` is
    true (`t` is the table's alias), with the columns of `replace` ({column: expression})
    computed anew, and the rows of the relation `add` after them. -#}
{% macro spark_rewrite(relation, keep='true', replace={}, add=none) -%}
    {%- set scratch = relation.incorporate(path={'identifier': relation.identifier ~ '__rewrite'}) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) -%}
    {%- set kept = [] -%}
    {%- for column in columns -%}
        {%- if column.name in replace -%}
            {%- do kept.append(replace[column.name] ~ ' as ' ~ column.quoted) -%}
        {%- else -%}
            {%- do kept.append('t.' ~ column.quoted) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set rows -%}
        select {{ kept | join(', ') }} from {{ relation }} as t where {{ keep }}
        {%- if add is not none %}
            union all
            select {{ columns | map(attribute='quoted') | join(', ') }} from {{ add }}
        {%- endif %}
    {%- endset -%}
    {%- do run_query('drop table if exists ' ~ scratch) -%}
    {%- do run_query('create table ' ~ scratch ~ ' using parquet as ' ~ rows) -%}
    {%- do run_query('insert overwrite table ' ~ relation ~ ' select * from ' ~ scratch) -%}
    {%- do run_query('drop table ' ~ scratch) -%}
{%- endmacro %}
