{#- The daily actions (playbook §15). -#}

{#- The control-group bucket (0-99) of a customer and an action: the first 8 hex digits of
    md5(customer_id || ':' || action) as an integer, modulo 100 (Python:
    `int(md5(f"{customer_id}:{action}".encode()).hexdigest()[:8], 16) % 100`). -#}
{% macro control_bucket(customer_id, action) -%}
    {{ return(adapter.dispatch('control_bucket', 'cdp')(customer_id, action)) }}
{%- endmacro %}

{% macro default__control_bucket(customer_id, action) -%}
    cast(('0x' || substr(md5({{ customer_id }} || ':' || {{ action }}), 1, 8)) as bigint) % 100
{%- endmacro %}

{% macro spark__control_bucket(customer_id, action) -%}
    cast(conv(substr(md5({{ customer_id }} || ':' || {{ action }}), 1, 8), 16, 10) as bigint) % 100
{%- endmacro %}

{#- Post-hook of customer_action_history: earlier days keep only their `issued` and `control`
    rows, what cooldowns, touches and outcomes read. -#}
{% macro prune_action_history() -%}
    {{- adapter.dispatch('prune_action_history')() -}}
{%- endmacro %}

{#- Spark: the same rows kept, by a rewrite of the table (macros/engine/rewrite.sql). -#}
{% macro spark__prune_action_history() -%}
    {%- if execute -%}
        {%- do spark_rewrite(this, keep='not coalesce(' ~ pruned_actions() ~ ', false)') -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{% macro default__prune_action_history() -%}
    delete from {{ this }} where {{ pruned_actions() }}
{%- endmacro %}

{% macro pruned_actions() -%}
    as_of_date < {{ as_of_date() }} and status not in ('issued', 'control')
{%- endmacro %}
