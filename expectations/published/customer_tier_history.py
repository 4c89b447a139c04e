"""customer_tier_history: every customer's value tier over time (rules §6), one row per
interval from `valid_from` to `valid_to` (null while it holds)."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation

from expectations import catalog
from expectations.checks import at_least, in_set, not_null
from expectations.published.common import TableSuite

TIER_CHANGES = ("new", "upgrade", "downgrade")


def expectations() -> list[Expectation]:
    return [
        *not_null("value_tier", "tier_change"),
        in_set("value_tier", catalog.values("value_tier")),
        in_set("previous_value_tier", catalog.values("value_tier")),
        in_set("tier_change", TIER_CHANGES),
        at_least("valid_to", "valid_from"),
    ]


SUITE = TableSuite(
    table="customer_tier_history",
    key=("customer_id", "valid_from"),
    expectations=expectations,
    dated=False,
)
