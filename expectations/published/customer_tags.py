"""customer_tags: every tag of every customer (rules §8). A rule tag's group, code and label
come from the tag catalog (`rule_tag` = `group:value:label`); WeCom tags pass through."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation

from expectations import catalog
from expectations.checks import in_set, not_null
from expectations.published.common import TableSuite


def expectations() -> list[Expectation]:
    return [
        *not_null("tag_label_zh", "tag_source"),
        in_set("tag_source", ["rule", "wecom"]),
        in_set("rule_tag", catalog.labelled()),
    ]


SUITE = TableSuite(
    table="customer_tags",
    key=("customer_id", "tag_group", "tag_value"),
    expectations=expectations,
    derived={
        "rule_tag": "case when tag_source = 'rule' then "
        + catalog.label_sql("tag_group", "tag_value", "tag_label_zh")
        + " end"
    },
)
