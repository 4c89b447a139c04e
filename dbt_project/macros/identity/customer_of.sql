{#- Join condition attaching the customer of a record's key identifier (rules §2: an order
    belongs to the customer of its openid or member_id), e.g.
    `left join identifiers on {{ customer_of('identifiers', 'openid', 'orders.openid') }}` -#}
{% macro customer_of(identifiers_alias, identifier_type, value) -%}
    {{ identifiers_alias }}.identifier_key
    = {{ identifier_key("'" ~ identifier_type ~ "'", 'trim(' ~ value ~ ')') }}
{%- endmacro %}
