{#- Identity stitching's normalisation (rules §1), in one place.

    identifier_key(type, value): the key of a normalised identifier, `<type>:<value>` (both
      arguments are SQL expressions: pass a type as a quoted literal, `"'openid'"`).
    mobile_digits(value): the digits of a mobile as typed.
    normalised_mobile(digits): a leading 0086 / 86 dropped when 11 digits remain; not yet
      checked for validity.
    valid_mobile(normalised): the mobile pattern, `^1[3-9][0-9]{9}$`.
    blocklisted(value): the value (trimmed, any case) is on var `identity_blocklist`.
    candidate_customer_id(key): the opaque id a component founded by this identifier gets. -#}

{% macro identifier_key(identifier_type, value) -%}
    ({{ identifier_type }} || ':' || {{ value }})
{%- endmacro %}

{% macro mobile_digits(value) -%}
    {{ replace_all(value, '[^0-9]', '') }}
{%- endmacro %}

{% macro normalised_mobile(digits) -%}
    case
        when length({{ digits }}) = 15 and {{ has_prefix(digits, "'0086'") }}
            then substr({{ digits }}, 5)
        when length({{ digits }}) = 13 and {{ has_prefix(digits, "'86'") }}
            then substr({{ digits }}, 3)
        else {{ digits }}
    end
{%- endmacro %}

{% macro valid_mobile(normalised) -%}
    {{ full_match(normalised, '1[3-9][0-9]{9}') }}
{%- endmacro %}

{% macro blocklisted(value) -%}
    (lower(trim({{ value }})) in ({{ sql_string_list(var('identity_blocklist') | map('string') | map('lower') | list) }}))
{%- endmacro %}

{% macro candidate_customer_id(key) -%}
    ('cus_' || substr({{ sha256_hex(key) }}, 1, 16))
{%- endmacro %}
