{#- Pre-hook of a table kept across runs (rows dated by the run's as-of date): undo what runs
    as of D or later wrote, so that a run as of D starts from the state the last run before D
    left, and running the same date again changes nothing. `valid_to`, when the table has
    one, is reopened where a later run closed it. -#}
{% macro rewind_history(valid_from='valid_from', valid_to='valid_to') -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ valid_from }} >= {{ as_of_date() }};
        {%- if valid_to %}
            update {{ this }} set {{ valid_to }} = null
            where {{ valid_to }} >= {{ as_of_date() }};
        {%- endif -%}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
