{#- Timestamps: the landing zone's wall-clock times are Asia/Shanghai, WeCom's are epoch
    seconds; the warehouse keeps instants in UTC (`timestamptz`) and local dates (`date`). -#}

{% macro local_time_zone() -%}'Asia/Shanghai'{%- endmacro %}

{#- A wall-clock Asia/Shanghai `timestamp` as a UTC instant. -#}
{% macro local_to_utc(column) -%}
    timezone({{ local_time_zone() }}, {{ column }})
{%- endmacro %}

{#- Epoch seconds as a UTC instant. -#}
{% macro epoch_to_utc(column) -%}
    to_timestamp({{ column }})
{%- endmacro %}

{#- The Asia/Shanghai local date of a UTC instant. -#}
{% macro local_date(instant) -%}
    cast(timezone({{ local_time_zone() }}, {{ instant }}) as date)
{%- endmacro %}
