"""customer_tags: every tag of every customer (rules §8, playbook §9–§13). A rule tag's group,
code and label come from the tag catalog (`rule_tag` = `group:value:label`), except the codes
that are statuses only, never tags (`replenishment` `stocked`); WeCom tags pass through.

Across rows: at most one rule tag per customer in every group but `behavior` (a customer may
have several behaviours); `customers_with_several` counts, per group, those with more."""

from __future__ import annotations

from expectations import catalog
from expectations.checks import RuleCheck
from expectations.published.common import TableSuite

STATUS_ONLY = (("replenishment", "stocked"),)
"""Catalog codes that label a status column and are never a tag."""
SEVERAL_PER_CUSTOMER = ("behavior",)
"""The rule tag groups a customer may hold several values of."""

SEVERAL_TAGS = f"""
    select
        tag_group,
        count(*) filter (where tags > 1) as customers_with_several
    from (
        select customer_id, tag_group, count(*) as tags
        from marts.customer_tags
        where
            tag_source = 'rule'
            and tag_group not in ({", ".join(f"'{g}'" for g in SEVERAL_PER_CUSTOMER)})
        group by customer_id, tag_group
    )
    group by tag_group
"""


def rule_tags() -> list[str]:
    """`group:value:label` of every catalog tag a rule may put on a customer."""
    return [
        t.labelled for t in catalog.tags() if (t.group, t.value) not in set(STATUS_ONLY)
    ]


def one_per_group() -> list[RuleCheck]:
    """Per rule tag group (but behaviour): no customer with two of its tags."""
    return [
        RuleCheck(
            name="published.customer_tags__one_per_group",
            label="customer_tags",
            query=SEVERAL_TAGS,
            rules={"one tag of the group per customer": "customers_with_several = 0"},
            example="tag_group",
            unit="tag groups",
        )
    ]


def _rule_tags() -> str:
    return ", ".join("'" + tag.replace("'", "''") + "'" for tag in rule_tags())


SUITE = TableSuite(
    table="customer_tags",
    key=("customer_id", "tag_group", "tag_value"),
    rules={
        "a rule tag of the catalog": "case when tag_source = 'rule' then "
        + catalog.label_sql("tag_group", "tag_value", "tag_label_zh")
        + f" in ({_rule_tags()}) end"
    },
    extra=one_per_group,
)
