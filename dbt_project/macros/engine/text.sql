{#- Text functions whose names or arguments differ: regular expressions, prefixes, digests and
    formatting. -#}

{#- `value` with every match of `pattern` replaced by `replacement`. -#}
{% macro replace_all(value, pattern, replacement) -%}
    {{- adapter.dispatch('replace_all')(value, pattern, replacement) -}}
{%- endmacro %}

{% macro default__replace_all(value, pattern, replacement) -%}
    regexp_replace({{ value }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro spark__replace_all(value, pattern, replacement) -%}
    regexp_replace({{ value }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{#- The whole of `value` matches `pattern`. -#}
{% macro full_match(value, pattern) -%}
    {{- adapter.dispatch('full_match')(value, pattern) -}}
{%- endmacro %}

{% macro default__full_match(value, pattern) -%}
    regexp_full_match({{ value }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__full_match(value, pattern) -%}
    ({{ value }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}

{% macro has_prefix(value, prefix) -%}
    {{- adapter.dispatch('has_prefix')(value, prefix) -}}
{%- endmacro %}

{% macro default__has_prefix(value, prefix) -%}
    starts_with({{ value }}, {{ prefix }})
{%- endmacro %}

{% macro spark__has_prefix(value, prefix) -%}
    startswith({{ value }}, {{ prefix }})
{%- endmacro %}

{#- The SHA-256 digest of a text, in lowercase hex. -#}
{% macro sha256_hex(value) -%}
    {{- adapter.dispatch('sha256_hex')(value) -}}
{%- endmacro %}

{% macro default__sha256_hex(value) -%}
    sha256({{ value }})
{%- endmacro %}

{% macro spark__sha256_hex(value) -%}
    sha2({{ value }}, 256)
{%- endmacro %}

{#- `template` (a literal with `{}` for each argument) filled with `args` (SQL expressions). -#}
{% macro format_text(template, args) -%}
    {{- adapter.dispatch('format_text')(template, args) -}}
{%- endmacro %}

{% macro default__format_text(template, args) -%}
    format(
        '{{ template }}',
        {% for arg in args -%}
            {{ arg }}{% if not loop.last %},{% endif %}
        {% endfor -%}
    )
{%- endmacro %}

{% macro spark__format_text(template, args) -%}
    format_string(
        '{{ template | replace("%", "%%") | replace("{}", "%s") }}',
        {% for arg in args -%}
            {{ arg }}{% if not loop.last %},{% endif %}
        {% endfor -%}
    )
{%- endmacro %}
