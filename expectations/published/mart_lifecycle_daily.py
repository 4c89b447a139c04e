"""mart_lifecycle_daily: customer counts per (as_of_date, dimension, dimension_value), one
set of rows per run. Dimensions and their values and labels from the tag catalog."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation

from expectations import catalog
from expectations.checks import between, in_set, not_null
from expectations.published.common import TableSuite

DIMENSIONS = ("lifecycle", "journey_stage", "rfm_segment", "value_tier", "churn_risk")


def expectations() -> list[Expectation]:
    return [
        *not_null("dimension_value_zh", "customers"),
        in_set("dimension", DIMENSIONS),
        in_set("dimension_label", catalog.labelled(*DIMENSIONS)),
        between("customers", 0),
        between("customer_share", 0, 1),
    ]


SUITE = TableSuite(
    table="mart_lifecycle_daily",
    key=("as_of_date", "dimension", "dimension_value"),
    expectations=expectations,
    derived={
        "dimension_label": catalog.label_sql("dimension", "dimension_value", "dimension_value_zh")
    },
    dated=False,
)
