"""customer_lifecycle: lifecycle and T+ journey stage per customer joined by D (rules §4).

Besides its own suite, one frame across tables: every customer of customer_lifecycle,
customer_tier and the lifecycle / journey / value-tier rule tags of customer_tags has exactly
one stage, one tier and one tag of each of those groups."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation

from expectations import catalog
from expectations.checks import FrameCheck, between, in_set, not_null
from expectations.published.common import TableSuite

COUNTS = ("stages", "tiers", "lifecycle_tags", "journey_stage_tags", "value_tier_tags")

ONE_STAGE_ONE_TIER = """
    with
    stages as (
        select customer_id, count(*) as stages from marts.customer_lifecycle group by all
    ),
    tiers as (
        select customer_id, count(*) as tiers from marts.customer_tier group by all
    ),
    tags as (
        select
            customer_id,
            count(*) filter (where tag_group = 'lifecycle') as lifecycle_tags,
            count(*) filter (where tag_group = 'journey_stage') as journey_stage_tags,
            count(*) filter (where tag_group = 'value_tier') as value_tier_tags
        from marts.customer_tags
        where tag_source = 'rule' and tag_group in ('lifecycle', 'journey_stage', 'value_tier')
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
        coalesce(tags.value_tier_tags, 0) as value_tier_tags
    from customers
    left join stages on customers.customer_id = stages.customer_id
    left join tiers on customers.customer_id = tiers.customer_id
    left join tags on customers.customer_id = tags.customer_id
"""


def expectations() -> list[Expectation]:
    return [
        *not_null("joined_date", "journey_day", "journey_stage", "last_active_date"),
        *not_null("order_count", "lifecycle_stage"),
        in_set("lifecycle_stage", catalog.values("lifecycle")),
        in_set("lifecycle_stage_label", catalog.labelled("lifecycle")),
        in_set("journey_stage", catalog.values("journey_stage")),
        between("journey_day", 0),
        between("order_count", 0),
    ]


def one_stage_one_tier() -> list[FrameCheck]:
    """Per customer: one stage, one tier, one lifecycle, journey and value-tier tag."""
    return [
        FrameCheck(
            name="published.customer_lifecycle__one_stage_one_tier",
            label="customer_lifecycle/customer_tier/customer_tags",
            expectations=tuple(between(count, 1, 1) for count in COUNTS),
            sql=ONE_STAGE_ONE_TIER,
            id_columns=("customer_id",),
        )
    ]


SUITE = TableSuite(
    table="customer_lifecycle",
    key=("customer_id",),
    expectations=expectations,
    derived={
        "lifecycle_stage_label": catalog.label_sql(
            "'lifecycle'", "lifecycle_stage", "lifecycle_stage_zh"
        )
    },
    extra=one_stage_one_tier,
)
