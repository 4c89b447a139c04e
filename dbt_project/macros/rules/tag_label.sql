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

{#- The value tier (rules §6) of a spend in yuan: `normal` below var `tier_silver_from`,
    `silver`, `gold` from `tier_gold_from`, `platinum` from `tier_platinum_from`, each
    threshold included. -#}
{% macro value_tier(spend) -%}
    case
        when {{ spend }} >= {{ var('tier_platinum_from') }} then 'platinum'
        when {{ spend }} >= {{ var('tier_gold_from') }} then 'gold'
        when {{ spend }} >= {{ var('tier_silver_from') }} then 'silver'
        else 'normal'
    end
{%- endmacro %}

{#- The tier above a value tier (playbook §13), null at `platinum`. -#}
{% macro next_value_tier(tier) -%}
    case {{ tier }} when 'normal' then 'silver' when 'silver' then 'gold' when 'gold' then 'platinum' end
{%- endmacro %}

{#- The spend threshold of a value tier, in yuan (0 for `normal`, null for null). -#}
{% macro value_tier_from(tier) -%}
    case {{ tier }}
        when 'normal' then 0
        when 'silver' then {{ var('tier_silver_from') }}
        when 'gold' then {{ var('tier_gold_from') }}
        when 'platinum' then {{ var('tier_platinum_from') }}
    end
{%- endmacro %}
