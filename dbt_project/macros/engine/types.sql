{#- Data types are written once, in DuckDB's names (the contracts' `data_type`, the JSON
    shapes of `parse_json`); spark_type() gives Spark's name of one: `varchar` is `string`, a
    list `T[]` an `array<T>`, a `struct(name T, ...)` a `struct<name: T, ...>`, `timestamptz`
    (an instant) `timestamp` and a wall-clock `timestamp` `timestamp_ntz`. -#}
{% macro spark_type(data_type) -%}
    {%- set text = data_type | trim -%}
    {%- set lowered = text | lower -%}
    {%- if lowered.endswith('[]') -%}
        {{- return('array<' ~ spark_type(text[:-2]) ~ '>') -}}
    {%- endif -%}
    {%- if lowered.startswith('struct(') and lowered.endswith(')') -%}
        {%- set body = text[7:-1] -%}
        {%- set fields = [] -%}
        {%- set cut = {'depth': 0, 'start': 0} -%}
        {%- for char in body -%}
            {%- if char == '(' -%}
                {%- do cut.update({'depth': cut.depth + 1}) -%}
            {%- elif char == ')' -%}
                {%- do cut.update({'depth': cut.depth - 1}) -%}
            {%- elif char == ',' and cut.depth == 0 -%}
                {%- do fields.append(body[cut.start:loop.index0]) -%}
                {%- do cut.update({'start': loop.index}) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do fields.append(body[cut.start:]) -%}
        {%- set spark_fields = [] -%}
        {%- for field in fields -%}
            {%- set name_and_type = (field | trim).split(' ', 1) -%}
            {%- do spark_fields.append(
                '`' ~ name_and_type[0].strip('"') ~ '`: ' ~ spark_type(name_and_type[1])
            ) -%}
        {%- endfor -%}
        {{- return('struct<' ~ spark_fields | join(', ') ~ '>') -}}
    {%- endif -%}
    {%- set names = {
        'varchar': 'string', 'text': 'string', 'json': 'string', 'uuid': 'string',
        'integer': 'int', 'int': 'int', 'real': 'float', 'hugeint': 'decimal(38,0)',
        'timestamptz': 'timestamp', 'timestamp with time zone': 'timestamp',
        'timestamp': 'timestamp_ntz',
    } -%}
    {{- return(names.get(lowered, lowered)) -}}
{%- endmacro %}

{#- The contract check on Spark (dbt's `get_empty_schema_sql`, dispatched to the root project
    first): the declared DuckDB types cast in Spark's names. -#}
{% macro spark__get_empty_schema_sql(columns) -%}
    {%- set spark_columns = {} -%}
    {%- for name in columns -%}
        {%- set column = columns[name].copy() -%}
        {%- if column.get('data_type') -%}
            {%- do column.update({'data_type': spark_type(column['data_type'])}) -%}
        {%- endif -%}
        {%- do spark_columns.update({name: column}) -%}
    {%- endfor -%}
    {{- default__get_empty_schema_sql(spark_columns) -}}
{%- endmacro %}

{#- A type named in DuckDB's names, in the target's (for casts in the models). -#}
{% macro sql_type(data_type) -%}
    {{- adapter.dispatch('sql_type')(data_type) -}}
{%- endmacro %}

{% macro default__sql_type(data_type) -%}
    {{- data_type -}}
{%- endmacro %}

{% macro spark__sql_type(data_type) -%}
    {{- spark_type(data_type) -}}
{%- endmacro %}
