{#- The latest version of each key of an increment entity as of D (rules: "the row with the
    latest `updated_at`, then the latest folder"): the rows of folders dated ≤ D whose own date
    (`dated`: a SQL expression of the record's local date, if it has one) is ≤ D, one per key,
    the latest by `updated_at` (when given), then extract date, then line; with
    `_first_extract_date`, the folder the key was first seen in. -#}
{% macro latest_versions(relation, key, dated=none, updated_at=none) -%}
    select
        *,
        min(_extract_date) over (partition by {{ key }}) as _first_extract_date
    from {{ relation }}
    where
        _extract_date <= {{ as_of_date() }}
        {%- if dated %}
        and {{ dated }} <= {{ as_of_date() }}
        {%- endif %}
    qualify row_number() over (
        partition by {{ key }}
        order by {% if updated_at %}{{ updated_at }} desc, {% endif %}_extract_date desc, _line desc
    ) = 1
{%- endmacro %}
