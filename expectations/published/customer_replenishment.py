"""customer_replenishment: per (customer, category) bought in the RFM window, when the
customer runs out (playbook §10).

Per row: the status and its label from the tag catalog (group `replenishment`), at least one
purchase, a cycle of at least a day, a trimmed category, the last purchase by D, and the
arithmetic of the row: due_date = last_purchase_date + category_cycle_days, days_until_due =
due_date − as_of_date, `run_out` exactly when days_until_due < 0.

Across rows (no dbt var is read, so a run with other vars is judged the same way): one cycle
per category, and one notice threshold: no `due_soon` row further from its due date than a
`stocked` one. Across tables: each customer's `replenishment` tag in customer_tags is the
most urgent status of its categories (`run_out`, else `due_soon`, else none; `stocked` is
never a tag).
"""

from __future__ import annotations

from expectations import catalog
from expectations.checks import RuleCheck
from expectations.published.common import TableSuite

PER_CATEGORY = """
    with stocked as (
        select min(days_until_due) as nearest
        from marts.customer_replenishment
        where replenishment_status = 'stocked'
    )
    select
        category,
        count(distinct category_cycle_days) as cycles,
        count(*) filter (
            where replenishment_status = 'due_soon' and days_until_due >= stocked.nearest
        ) as due_soon_not_before_stocked
    from marts.customer_replenishment, stocked
    where category is not null
    group by category
"""

TAG_PER_CUSTOMER = """
    with
    expected as (
        select
            customer_id,
            case
                when bool_or(replenishment_status = 'run_out') then 'run_out'
                when bool_or(replenishment_status = 'due_soon') then 'due_soon'
            end as expected_tag
        from marts.customer_replenishment
        group by customer_id
    ),
    tagged as (
        select customer_id, string_agg(tag_value, ',' order by tag_value) as tag
        from marts.customer_tags
        where tag_source = 'rule' and tag_group = 'replenishment'
        group by customer_id
    )
    select
        coalesce(expected.customer_id, tagged.customer_id) as customer_id,
        case
            when tagged.tag is distinct from expected.expected_tag
                then coalesce(tagged.tag, 'no tag') || ', expected '
                    || coalesce(expected.expected_tag, 'no tag')
        end as replenishment_tag_mismatch
    from expected
    full join tagged on expected.customer_id = tagged.customer_id
"""


def across_rows() -> list[RuleCheck]:
    """One cycle and one notice threshold per category; the customers' replenishment tag."""
    return [
        RuleCheck(
            name="published.customer_replenishment__per_category",
            label="customer_replenishment",
            query=PER_CATEGORY,
            rules={
                "one cycle per category": "cycles = 1",
                "due_soon before every stocked": "due_soon_not_before_stocked = 0",
            },
            example="category",
            unit="categories",
        ),
        RuleCheck(
            name="published.customer_replenishment__tag",
            label="customer_replenishment/customer_tags",
            query=TAG_PER_CUSTOMER,
            rules={"replenishment tag of the statuses": "replenishment_tag_mismatch is null"},
            example="customer_id || ': ' || replenishment_tag_mismatch",
            unit="customers",
        ),
    ]


SUITE = TableSuite(
    table="customer_replenishment",
    key=("customer_id", "category"),
    rules={
        "replenishment_status_zh from the catalog": catalog.labelled_sql(
            "'replenishment'", "replenishment_status", "replenishment_status_zh", "replenishment"
        ),
        "category is trimmed": "category = trim(category) and category <> ''",
        "due_date is the last purchase plus the cycle": (
            "due_date = last_purchase_date + category_cycle_days"
        ),
        "days_until_due is due_date minus D": (
            "days_until_due = date_diff('day', as_of_date, due_date)"
        ),
        "run_out exactly past due": "(replenishment_status = 'run_out') = (days_until_due < 0)",
    },
    extra=across_rows,
)
