"""customer_merges: customer ids merged away (rules §1), one row per merged id, with the
customer that holds its identifiers now (never itself)."""

from __future__ import annotations

from expectations.published.common import TableSuite

SUITE = TableSuite(
    table="customer_merges",
    key=("merged_customer_id",),
    rules={"not merged into itself": "merged_customer_id <> customer_id"},
)
