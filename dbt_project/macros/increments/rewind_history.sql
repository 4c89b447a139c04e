{#- Pre-hook of a table kept across runs (rows dated by the run's as-of date): undo what runs
    as of D or later wrote, so that a run as of D starts from the state the last run before D
    left, and running the same date again changes nothing. `valid_to`, when the table has
    one, is reopened where a later run closed it. With `to_last_publish`, runs after the last
    published one (var `last_published_as_of`, which the build sets from the published manifest
    through CDP_LAST_PUBLISHED_AS_OF)
    are undone too: a run the quality gate refused leaves no trace in what is published next
    (rules §6: the previous tier is the tier of the last published run). -#}
{% macro rewind_history(valid_from='valid_from', valid_to='valid_to', to_last_publish=false) -%}
    {{- adapter.dispatch('rewind_history')(valid_from, valid_to, to_last_publish) -}}
{%- endmacro %}

{#- Spark: the same rows kept and reopened, by a rewrite of the table (macros/engine/rewrite.sql). -#}
{% macro spark__rewind_history(valid_from, valid_to, to_last_publish) -%}
    {%- if execute and is_incremental() -%}
        {%- set point = rewind_point(to_last_publish) -%}
        {%- set reopened = {} -%}
        {%- if valid_to -%}
            {%- do reopened.update({
                valid_to: 'case when ' ~ valid_to ~ ' >= ' ~ point ~ ' then null else ' ~ valid_to ~ ' end'
            }) -%}
        {%- endif -%}
        {%- do spark_rewrite(
            this, keep='not coalesce(' ~ valid_from ~ ' >= ' ~ point ~ ', false)', replace=reopened
        ) -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{% macro default__rewind_history(valid_from, valid_to, to_last_publish) -%}
    {%- if is_incremental() -%}
        {%- set point = rewind_point(to_last_publish) -%}
        delete from {{ this }} where {{ valid_from }} >= {{ point }};
        {%- if valid_to %}
            update {{ this }} set {{ valid_to }} = null
            where {{ valid_to }} >= {{ point }};
        {%- endif -%}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- The first date whose rows a run undoes: D, or the day after the last publish when that
    is earlier. -#}
{% macro rewind_point(to_last_publish=false) -%}
    {%- set published = run_date_var('last_published_as_of') -%}
    {%- if to_last_publish and published -%}
        least({{ as_of_date() }}, date '{{ published }}' + 1)
    {%- else -%}
        {{ as_of_date() }}
    {%- endif -%}
{%- endmacro %}
