{#- Timestamps: the landing zone's wall-clock times are Asia/Shanghai, WeCom's are epoch
    seconds; the warehouse keeps instants in UTC (`timestamptz` on DuckDB; on Spark
    `timestamp`, an instant shown in the session's time zone, UTC in profiles.yml) and local
    dates (`date`). -#}

{% macro local_time_zone() -%}'Asia/Shanghai'{%- endmacro %}

{#- A wall-clock Asia/Shanghai `timestamp` as a UTC instant. -#}
{% macro local_to_utc(column) -%}
    {{- adapter.dispatch('local_to_utc')(column) -}}
{%- endmacro %}

{% macro default__local_to_utc(column) -%}
    timezone({{ local_time_zone() }}, {{ column }})
{%- endmacro %}

{% macro spark__local_to_utc(column) -%}
    to_utc_timestamp({{ column }}, {{ local_time_zone() }})
{%- endmacro %}

{#- Epoch seconds as a UTC instant. -#}
{% macro epoch_to_utc(column) -%}
    {{- adapter.dispatch('epoch_to_utc')(column) -}}
{%- endmacro %}

{% macro default__epoch_to_utc(column) -%}
    to_timestamp({{ column }})
{%- endmacro %}

{% macro spark__epoch_to_utc(column) -%}
    timestamp_seconds({{ column }})
{%- endmacro %}

{#- The Asia/Shanghai local date of a UTC instant. -#}
{% macro local_date(instant) -%}
    {{- adapter.dispatch('local_date')(instant) -}}
{%- endmacro %}

{% macro default__local_date(instant) -%}
    cast(timezone({{ local_time_zone() }}, {{ instant }}) as date)
{%- endmacro %}

{% macro spark__local_date(instant) -%}
    cast(from_utc_timestamp({{ instant }}, {{ local_time_zone() }}) as date)
{%- endmacro %}
