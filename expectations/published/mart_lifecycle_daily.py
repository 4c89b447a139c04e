"""mart_lifecycle_daily: customer counts per (as_of_date, dimension, dimension_value), one
set of rows per run. Each value's label from the tag catalog."""

from __future__ import annotations

from expectations import catalog
from expectations.published.common import TableSuite

DIMENSIONS = ("lifecycle", "journey_stage", "rfm_segment", "value_tier", "churn_risk")

SUITE = TableSuite(
    table="mart_lifecycle_daily",
    key=("as_of_date", "dimension", "dimension_value"),
    rules={
        "dimension_value_zh from the catalog": catalog.labelled_sql(
            "dimension", "dimension_value", "dimension_value_zh", *DIMENSIONS
        ),
    },
    dated=False,
)
