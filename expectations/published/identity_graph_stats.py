"""identity_graph_stats: one row per run describing the identity graph (every run's row;
the identity suite judges this run's). Counts ≥ 0, never an identifier in two customers."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation

from expectations.checks import between, not_null
from expectations.published.common import TableSuite

COUNTS = (
    "customers",
    "new_customers",
    "merged_customers",
    "identifiers",
    "largest_customer_identifiers",
    "edges",
    "kept_edges",
    "dropped_edges",
    "shared_identifiers",
)


def expectations() -> list[Expectation]:
    return [
        *not_null("customers", "identifiers_in_several_customers"),
        *(between(column, 0) for column in COUNTS),
        between("identifiers_in_several_customers", 0, 0),
    ]


SUITE = TableSuite(
    table="identity_graph_stats",
    key=("as_of_date",),
    expectations=expectations,
    dated=False,
)
