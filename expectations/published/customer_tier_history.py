"""customer_tier_history: every customer's value tier over time (rules §6), one row per
interval from `valid_from` to `valid_to` (null while it holds). Codes and `valid_to` ≥
`valid_from` are dbt's constraints; the gate adds its common checks."""

from __future__ import annotations

from expectations.published.common import TableSuite

SUITE = TableSuite(table="customer_tier_history", key=("customer_id", "valid_from"), dated=False)
