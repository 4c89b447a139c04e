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

from great_expectations.expectations.expectation import Expectation

from expectations import catalog
from expectations.checks import FrameCheck, at_least, between, in_set, not_null, null
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


def expectations() -> list[Expectation]:
    return [
        *not_null("category", "purchases", "last_purchase_date", "category_cycle_days"),
        *not_null("due_date", "days_until_due", "replenishment_status"),
        *not_null("replenishment_status_zh"),
        in_set("replenishment_status", catalog.values("replenishment")),
        in_set("replenishment_status_label", catalog.labelled("replenishment")),
        in_set("category_is_trimmed", [True]),
        between("purchases", 1),
        between("category_cycle_days", 1),
        at_least("as_of_date", "last_purchase_date"),
        in_set("due_date_is_last_purchase_plus_cycle", [True]),
        in_set("days_until_due_is_due_date_minus_as_of", [True]),
        in_set("run_out_iff_past_due", [True]),
    ]


def across_rows() -> list[FrameCheck]:
    """One cycle and one notice threshold per category; the customers' replenishment tag."""
    return [
        FrameCheck(
            name="published.customer_replenishment__per_category",
            label="customer_replenishment",
            expectations=(
                between("cycles", 1, 1),
                between("due_soon_not_before_stocked", 0, 0),
            ),
            sql=PER_CATEGORY,
            id_columns=("category",),
            unit="categories",
        ),
        FrameCheck(
            name="published.customer_replenishment__tag",
            label="customer_replenishment/customer_tags",
            expectations=(null("replenishment_tag_mismatch"),),
            sql=TAG_PER_CUSTOMER,
            id_columns=("customer_id",),
            unit="customers",
        ),
    ]


SUITE = TableSuite(
    table="customer_replenishment",
    key=("customer_id", "category"),
    expectations=expectations,
    derived={
        "replenishment_status_label": catalog.label_sql(
            "'replenishment'", "replenishment_status", "replenishment_status_zh"
        ),
        "category_is_trimmed": "category = trim(category) and category <> ''",
        "due_date_is_last_purchase_plus_cycle": (
            "due_date = last_purchase_date + category_cycle_days"
        ),
        "days_until_due_is_due_date_minus_as_of": "days_until_due = due_date - as_of_date",
        "run_out_iff_past_due": "(replenishment_status = 'run_out') = (days_until_due < 0)",
    },
    extra=across_rows,
)
