"""customer_merges: customer ids merged away (rules §1), one row per merged id, with the
customer that holds its identifiers now (never itself)."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation

from expectations.checks import in_set, not_null
from expectations.published.common import TableSuite


def expectations() -> list[Expectation]:
    return [
        *not_null("customer_id", "merged_on"),
        in_set("merged_into_itself", [False]),
    ]


SUITE = TableSuite(
    table="customer_merges",
    key=("merged_customer_id",),
    expectations=expectations,
    derived={"merged_into_itself": "merged_customer_id = customer_id"},
)
