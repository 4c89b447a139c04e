{#- The tag catalog (var `tag_catalog`): the one place that names every code a rule tag or
    a `*_zh` column can take, with its Chinese label (中文名) and its rank within its group.
    The macros render one line of SQL each. -#}

{#- The Chinese label of a tag value, e.g. `{{ tag_label("'lifecycle'", 'lifecycle_stage') }}`;
    both arguments are SQL expressions; null for a value not in the catalog. -#}
{% macro tag_label(tag_group, value) -%}
    case
    {%- for tag in var('tag_catalog') %} when {{ tag_group }} = '{{ tag.group }}' and {{ value }} = '{{ tag.value }}' then '{{ tag.label_zh }}'
    {%- endfor %} end
{%- endmacro %}

{#- The rank (1, 2, ...) of a tag value within its group, in catalog order: the order of the
    value tiers (normal < silver < gold < platinum) and of the channel-preference ties. -#}
{% macro tag_rank(tag_group, value) -%}
    case {{ value }}
    {%- for tag in var('tag_catalog') | selectattr('group', 'equalto', tag_group) %} when '{{ tag.value }}' then {{ loop.index }}
    {%- endfor %} end
{%- endmacro %}

{#- The rank of a value tier (normal 1 < silver 2 < gold 3 < platinum 4). -#}
{% macro tier_rank(value) -%}
    {{ tag_rank('value_tier', value) }}
{%- endmacro %}
