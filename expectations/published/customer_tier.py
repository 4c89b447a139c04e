"""customer_tier: the value tier per customer joined by D (rules §6), the member system's own
tier beside it and the change against the last run."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation

from expectations import catalog
from expectations.checks import between, in_set, not_null
from expectations.published.common import TableSuite

MEMBER_SYSTEM_TIERS = ("NORMAL", "SILVER", "GOLD", "PLATINUM")
TIER_CHANGES = ("new", "upgrade", "downgrade", "same")


def expectations() -> list[Expectation]:
    return [
        *not_null("value_tier", "spend_365d", "tier_mismatch", "tier_change"),
        in_set("value_tier", catalog.values("value_tier")),
        in_set("previous_value_tier", catalog.values("value_tier")),
        in_set("member_system_tier", MEMBER_SYSTEM_TIERS),
        in_set("tier_change", TIER_CHANGES),
        between("spend_365d", 0),
    ]


SUITE = TableSuite(table="customer_tier", key=("customer_id",), expectations=expectations)
