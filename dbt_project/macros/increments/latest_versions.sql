{#- The latest version of each key of an increment entity as of D (rules: "the row with the
    latest `updated_at`, then the latest folder"): the rows of folders dated ≤ D whose own date
    (`dated`: a SQL expression of the record's local date, if it has one) is ≤ D, one per key,
    the latest by `updated_at` (when given), then extract date, then line; with
    `_first_extract_date`, the folder the key was first seen in. `relation` is the raw table
    itself (a `source()`), not a CTE over it: with `since` (an incremental build,
    macros/increments/extract_increment.sql), only the keys with a version after it are read, each again
    from all its versions (`increment_key`, default `key`: a leading part of a composite key
    to pick them by, e.g. the order of an order line: every line of the order is taken
    again), and those versions are found by `rowid` from the key column alone before any other
    column is read. Joining the keys to the whole rows instead made DuckDB carry every column
    of every raw row through the join: at 1M customers 6 s of a night's events, against 1 s
    this way (docs/benchmark.md). -#}
{% macro latest_versions(relation, key, dated=none, updated_at=none, since=none, increment_key=none) -%}
    select
        *,
        min(_extract_date) over (partition by {{ key }}) as _first_extract_date
    from {{ relation }}
    where
        {{ increment_rows(none, dated) }}
        {%- if since %}
        and rowid in (
            select rowid from {{ relation }}
            where {{ increment_key or key }} in (
                select {{ increment_key or key }} from {{ relation }}
                where {{ increment_rows(since, dated) }}
            )
        )
        {%- endif %}
    qualify row_number() over (
        partition by {{ key }}
        order by {% if updated_at %}{{ updated_at }} desc, {% endif %}_extract_date desc, _line desc
    ) = 1
{%- endmacro %}
