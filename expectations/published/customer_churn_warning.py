"""customer_churn_warning: the customers at risk (rules §5) with the purchase model's p_alive.
Risk levels of the tag catalog; p_alive in [0, 1], null only without a qualifying order
(a NaN fails: the common suite flags NaN in every double column)."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation

from expectations import catalog
from expectations.checks import between, in_set, not_null
from expectations.published.common import TableSuite


def expectations() -> list[Expectation]:
    return [
        *not_null("risk_level", "lost_contact", "expected_cycle_days"),
        in_set("risk_level", catalog.values("churn_risk")),
        between("p_alive", 0, 1),
        between("expected_cycle_days", 0, strict_low=True),
        between("overdue_ratio", 0),
        between("days_since_last_order", 0),
    ]


SUITE = TableSuite(
    table="customer_churn_warning", key=("customer_id",), expectations=expectations
)
