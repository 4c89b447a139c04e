"""mart_retention_cohort: monthly retention per join cohort as of D, one row per (cohort
month, activity month). No more buyers than cohort customers and rates in [0, 1] are dbt's
constraints; the gate adds its common checks."""

from __future__ import annotations

from expectations.published.common import TableSuite

SUITE = TableSuite(table="mart_retention_cohort", key=("cohort_month", "activity_month"))
