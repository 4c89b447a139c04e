{#- Join clause attaching the customer of a record's key identifier (rules §2: an order
    belongs to the customer of its openid or member_id):
    `left join {{ ref('int_identity__customer_identifiers') }} as c on {{ customer_of('c', "'openid'", 'orders.openid') }}` -#}
{% macro customer_of(identifiers_alias, identifier_type, value) -%}
    {{ identifiers_alias }}.identifier_key = {{ identifier_key(identifier_type, 'trim(' ~ value ~ ')') }}
{%- endmacro %}
