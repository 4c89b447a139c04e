"""customer_churn_warning: the customers at risk (rules §5) with the purchase model's p_alive.
Its codes and ranges are dbt's (contract constraints); the gate's common checks (no NaN, no
raw mobile, the run's as-of date, the row count against the last publish) are all it needs."""

from __future__ import annotations

from expectations.published.common import TableSuite

SUITE = TableSuite(table="customer_churn_warning", key=("customer_id",))
