"""mart_retention_cohort: monthly retention per join cohort as of D, one row per (cohort
month, activity month): no more buyers than cohort customers, rates in [0, 1]."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation

from expectations.checks import at_least, between, not_null
from expectations.published.common import TableSuite


def expectations() -> list[Expectation]:
    return [
        *not_null("months_since_join", "cohort_customers", "buying_customers", "retention_rate"),
        between("months_since_join", 0),
        between("cohort_customers", 1),
        between("buying_customers", 0),
        between("retention_rate", 0, 1),
        at_least("cohort_customers", "buying_customers"),
        at_least("activity_month", "cohort_month"),
    ]


SUITE = TableSuite(
    table="mart_retention_cohort",
    key=("cohort_month", "activity_month"),
    expectations=expectations,
)
