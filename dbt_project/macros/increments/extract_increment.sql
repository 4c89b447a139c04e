{#- Incremental staging of the big extract entities (docs/incremental.md).

    A staging model of an extract entity holds the rows of the extract folders dated ≤ D.
    Built once in full, it then only adds what a later night brings: the rows of the folders
    dated after the D it was last built as of ("since"), and the rows whose own date passed
    that D (e.g. an event dated after the folder it arrived in). Each build appends a row to
    the table `_increments` of the target schema (`increment_log`): the model, the D, the
    latest `loaded_at` of the entity's files in `raw._loads` and how many of them were dated
    ≤ that D, and the model's checksum. The latest row of a model is how its table was built.

    The night rebuilds the table in full, instead, when:
    - the table is new, or the log has no row of it;
    - the run is as of an earlier date than the table;
    - a file of the entity dated ≤ that D was loaded after it (`cdp run --reload`, or a late
      file landing in an old folder), or one was dropped;
    - the model's SQL changed, or the vars it names as its `settings` (e.g. the identity
      blocklist of the occurrences: `cdp run --vars` may change it for one run).

    extract_increment(source_system, entity, settings): the date since which rows are added
      (a string, YYYY-MM-DD), or none for a full build. Without an entity, the files of every
      entity count (a model built from several entities, e.g.
      int_identity__identifier_occurrences). `settings`: the values of the vars the model's
      rows depend on; the same in the model and both hooks.
    increment_rows(since, dated): the filter of the rows a build reads from the raw table:
      folders dated ≤ D and `dated` (a SQL expression of the record's own date) ≤ D, and when
      `since` is set, only the rows whose folder or own date is after it.
    reset_increment(source_system, entity): pre-hook; empties the table for a full build of
      a table that exists.
    record_increment(source_system, entity): post-hook; appends the build to the log. -#}

{% macro extract_increment(source_system=none, entity=none, settings=none) -%}
    {#- A unit test has no table (`this` is none): it checks the full build's SQL. -#}
    {%- if not (execute and this and is_incremental()) -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set built = run_query(
        "select cast(as_of as varchar), cast(loaded_through as varchar), files, checksum from "
        ~ increment_log() ~ " where model = '" ~ this.identifier ~ "'"
        ~ " order by recorded_at desc limit 1"
    ).rows -%}
    {%- set state = {
        'as_of': built[0][0], 'loaded_through': built[0][1],
        'files': built[0][2], 'checksum': built[0][3],
    } if built else none -%}
    {%- if not state or state.checksum != increment_checksum(settings)
        or as_of_value() < state.as_of -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set counts = run_query(
        "select count(*) filter (where loaded_at <= '" ~ state.loaded_through ~ "'::timestamptz),"
        ~ " count(*) filter (where loaded_at > '" ~ state.loaded_through ~ "'::timestamptz)"
        ~ entity_loads(source_system, entity) ~ " and extract_date <= date '" ~ state.as_of ~ "'"
    ).rows[0] -%}
    {%- if counts[0] | int != state.files | int or counts[1] | int != 0 -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(state.as_of) -}}
{%- endmacro %}

{% macro increment_rows(since, dated=none) -%}
    _extract_date <= {{ as_of_date() }}
    {%- if dated %}
    and {{ dated }} <= {{ as_of_date() }}
    {%- endif %}
    {%- if since %}
    and {{ added_since(since, ['_extract_date'] + ([dated] if dated else [])) }}
    {%- endif %}
{%- endmacro %}

{#- added_since(since, dates): the rows of a table built from extracts that a night added or
    wrote again: one of `dates` (SQL expressions: the row's `extract_date` and the dates of
    the record whose passing counts it) is after `since`; every row (`true`) without since. -#}
{% macro added_since(since, dates) -%}
    {%- if since -%}
        ({% for dated in dates %}{{ dated }} > date '{{ since }}'{% if not loop.last %} or {% endif %}{% endfor %})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro reset_increment(source_system=none, entity=none, settings=none) -%}
    {%- if execute and is_incremental() and extract_increment(source_system, entity, settings) is none -%}
        delete from {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{% macro record_increment(source_system=none, entity=none, settings=none) -%}
    {{- adapter.dispatch('record_increment')(source_system, entity, settings) -}}
{%- endmacro %}

{#- Spark rebuilds these tables in full every night (macros/engine/increments.sql): no log. -#}
{% macro spark__record_increment(source_system=none, entity=none, settings=none) -%}
    select 1
{%- endmacro %}

{% macro default__record_increment(source_system=none, entity=none, settings=none) -%}
    {%- if execute -%}
        {%- set loads = run_query(
            "select cast(max(loaded_at) as varchar),"
            ~ " count(*) filter (where extract_date <= " ~ as_of_date() ~ ")"
            ~ entity_loads(source_system, entity)
        ).rows[0] -%}
        insert into {{ increment_log() }} (model, as_of, loaded_through, files, checksum, recorded_at)
        values (
            '{{ this.identifier }}',
            {{ as_of_date() }},
            cast('{{ loads[0] or "1970-01-01 00:00:00+00" }}' as timestamptz),
            {{ loads[1] }},
            '{{ increment_checksum(settings) }}',
            current_timestamp
        )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- The model's checksum, and with `settings` a digest of them too. -#}
{% macro increment_checksum(settings=none) -%}
    {%- if settings is none -%}
        {{- return(model.checksum.checksum) -}}
    {%- endif -%}
    {{- return(model.checksum.checksum ~ ':' ~ local_md5(tojson(settings))) -}}
{%- endmacro %}

{#- ` from raw._loads where …`: the load log's files of one entity (of every entity without
    one), for the queries above. -#}
{% macro entity_loads(source_system=none, entity=none) -%}
    {{- return(
        " from " ~ source('ingestion', '_loads') ~ " where "
        ~ ("source = '" ~ source_system ~ "' and entity = '" ~ entity ~ "'" if entity else "true")
    ) -}}
{%- endmacro %}

{#- The log of the incremental builds (see the top), created on first use. -#}
{% macro increment_log() -%}
    {%- set log = api.Relation.create(
        database=this.database, schema=target.schema, identifier='_increments'
    ) -%}
    {%- do run_query(
        "create table if not exists " ~ log ~ " (model varchar not null, as_of date not null,"
        ~ " loaded_through timestamptz not null, files integer not null,"
        ~ " checksum varchar not null, recorded_at timestamptz not null)"
    ) -%}
    {{- return(log) -}}
{%- endmacro %}
