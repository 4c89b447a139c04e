{#- The date a birthday falls on in a year (playbook §15): its month and day that year, and
    29 February on 28 February in a year that is not a leap year. -#}
{% macro birthday_in(birthday, year) -%}
    case
        when
            month({{ birthday }}) = 2 and day({{ birthday }}) = 29
            and not (({{ year }}) % 4 = 0 and (({{ year }}) % 100 != 0 or ({{ year }}) % 400 = 0))
            then make_date({{ year }}, 2, 28)
        else make_date({{ year }}, month({{ birthday }}), day({{ birthday }}))
    end
{%- endmacro %}
