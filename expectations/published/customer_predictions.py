"""customer_predictions: the purchase model's scores per customer with a qualifying order
(rules §7). Not-null and ranges are dbt's; the gate's common checks flag a NaN."""

from __future__ import annotations

from expectations.published.common import TableSuite

SUITE = TableSuite(table="customer_predictions", key=("customer_id",))
