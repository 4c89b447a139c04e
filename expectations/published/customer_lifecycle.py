"""customer_lifecycle: lifecycle and T+ journey stage per customer joined by D (rules §4), and
the purchase journey anchored on the first qualifying order (playbook §9).

Per row: first_order_date, purchase_journey_day and purchase_journey_stage all null exactly
without a qualifying order (order_count 0); purchase_journey_day = D − first_order_date ≥ 0;
stages from the tag catalog. Across rows (no dbt var is read): the purchase journey stages,
in catalog order, cover increasing days that do not overlap.

Besides its own suite, one frame across tables: every customer of customer_lifecycle,
customer_tier and the lifecycle / journey / value-tier rule tags of customer_tags has exactly
one stage, one tier and one tag of each of those groups, and its `purchase_journey` tag is
its purchase_journey_stage (none without one)."""

from __future__ import annotations

from expectations import catalog
from expectations.checks import RuleCheck
from expectations.published.common import TableSuite, row_name

COUNTS = ("stages", "tiers", "lifecycle_tags", "journey_stage_tags", "value_tier_tags")

ONE_STAGE_ONE_TIER = """
    with
    stages as (
        select
            customer_id,
            count(*) as stages,
            any_value(purchase_journey_stage) as purchase_journey_stage
        from marts.customer_lifecycle
        group by all
    ),
    tiers as (
        select customer_id, count(*) as tiers from marts.customer_tier group by all
    ),
    tags as (
        select
            customer_id,
            count(*) filter (where tag_group = 'lifecycle') as lifecycle_tags,
            count(*) filter (where tag_group = 'journey_stage') as journey_stage_tags,
            count(*) filter (where tag_group = 'value_tier') as value_tier_tags,
            string_agg(tag_value, ',' order by tag_value) filter (
                where tag_group = 'purchase_journey'
            ) as purchase_journey_tag
        from marts.customer_tags
        where
            tag_source = 'rule'
            and tag_group in ('lifecycle', 'journey_stage', 'value_tier', 'purchase_journey')
        group by all
    ),
    customers as (
        select customer_id from stages
        union
        select customer_id from tiers
        union
        select customer_id from tags
    )
    select
        customers.customer_id,
        coalesce(stages.stages, 0) as stages,
        coalesce(tiers.tiers, 0) as tiers,
        coalesce(tags.lifecycle_tags, 0) as lifecycle_tags,
        coalesce(tags.journey_stage_tags, 0) as journey_stage_tags,
        coalesce(tags.value_tier_tags, 0) as value_tier_tags,
        case
            when tags.purchase_journey_tag is distinct from stages.purchase_journey_stage
                then coalesce(tags.purchase_journey_tag, 'no tag') || ', expected '
                    || coalesce(stages.purchase_journey_stage, 'no tag')
        end as purchase_journey_tag_mismatch
    from customers
    left join stages on customers.customer_id = stages.customer_id
    left join tiers on customers.customer_id = tiers.customer_id
    left join tags on customers.customer_id = tags.customer_id
"""


def purchase_journey_days_sql() -> str:
    """Per purchase journey stage: its days and the largest day of the stages before it in
    catalog order."""
    stage_rank = catalog.rank_sql("purchase_journey", "purchase_journey_stage")
    return f"""
    with days as (
        select
            purchase_journey_stage,
            {stage_rank} as stage_rank,
            min(purchase_journey_day) as first_day,
            max(purchase_journey_day) as last_day
        from marts.customer_lifecycle
        where purchase_journey_stage is not null
        group by purchase_journey_stage
    )
    select
        purchase_journey_stage,
        first_day,
        first_day > coalesce(
            (select max(earlier.last_day) from days as earlier
             where earlier.stage_rank < days.stage_rank),
            -1
        ) as after_earlier_stages
    from days
    """


def across_rows() -> list[RuleCheck]:
    """Per customer: one stage, one tier, one lifecycle, journey and value-tier tag, the
    purchase journey tag of its stage; per purchase journey stage: days after the last's."""
    return [
        RuleCheck(
            name="published.customer_lifecycle__one_stage_one_tier",
            label="customer_lifecycle/customer_tier/customer_tags",
            query=ONE_STAGE_ONE_TIER,
            rules={
                **{f"one of {count}": f"{count} = 1" for count in COUNTS},
                "purchase journey tag of its stage": "purchase_journey_tag_mismatch is null",
            },
            example="customer_id",
            unit="customers",
        ),
        RuleCheck(
            name="published.customer_lifecycle__purchase_journey_days",
            label="customer_lifecycle",
            query=purchase_journey_days_sql(),
            rules={"days after the earlier stages'": "after_earlier_stages"},
            example=row_name(("purchase_journey_stage", "first_day")),
            unit="stages",
        ),
    ]


SUITE = TableSuite(
    table="customer_lifecycle",
    key=("customer_id",),
    rules={
        "lifecycle_stage_zh from the catalog": catalog.labelled_sql(
            "'lifecycle'", "lifecycle_stage", "lifecycle_stage_zh", "lifecycle"
        ),
        "first order exactly with orders": "(first_order_date is null) = (order_count = 0)",
        "purchase journey exactly with a first order": (
            "(purchase_journey_day is null) = (first_order_date is null) "
            "and (purchase_journey_stage is null) = (first_order_date is null)"
        ),
        "purchase_journey_day since the first order": (
            "purchase_journey_day = date_diff('day', first_order_date, as_of_date)"
        ),
    },
    extra=across_rows,
)
