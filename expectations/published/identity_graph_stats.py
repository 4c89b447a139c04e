"""identity_graph_stats: one row per run describing the identity graph (every run's row;
the identity suite judges this run's): never an identifier in two customers."""

from __future__ import annotations

from expectations.published.common import TableSuite

SUITE = TableSuite(
    table="identity_graph_stats",
    key=("as_of_date",),
    rules={"no identifier in several customers": "identifiers_in_several_customers = 0"},
    dated=False,
)
