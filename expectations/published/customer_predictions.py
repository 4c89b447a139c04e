"""customer_predictions: the purchase model's scores per customer with a qualifying order
(rules §7). Never null, never NaN; p_alive in [0, 1], the rest ≥ 0."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation

from expectations.checks import between, not_null
from expectations.published.common import TableSuite

AMOUNTS = ("expected_orders_90d", "expected_order_value", "clv_365d")


def expectations() -> list[Expectation]:
    return [
        *not_null("p_alive", *AMOUNTS),
        between("p_alive", 0, 1),
        *(between(column, 0) for column in AMOUNTS),
    ]


SUITE = TableSuite(
    table="customer_predictions", key=("customer_id",), expectations=expectations
)
