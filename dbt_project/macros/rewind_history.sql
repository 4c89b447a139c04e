{#- Pre-hook of a history table kept across runs (valid_from / valid_to by as-of date): undo
    what runs as of D or later wrote, so that a run as of D starts from the state the last
    run before D left, and running the same date again changes nothing. -#}
{% macro rewind_history(valid_from='valid_from', valid_to='valid_to') -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ valid_from }} >= {{ as_of_date() }};
        update {{ this }} set {{ valid_to }} = null where {{ valid_to }} >= {{ as_of_date() }};
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
