"""The published tables' suites, one module per table (read from `marts.<table>`).

`PUBLISHED_TABLES` lists every table the gate checks before publishing; it must match the
dbt models tagged `published`.
"""

from __future__ import annotations

from expectations.published import (
    customer_actions,
    customer_churn_warning,
    customer_coupons,
    customer_lifecycle,
    customer_merges,
    customer_points,
    customer_predictions,
    customer_profile,
    customer_replenishment,
    customer_rfm,
    customer_tags,
    customer_tier,
    customer_tier_history,
    identity_graph_stats,
    mart_action_outcomes,
    mart_lifecycle_daily,
    mart_ltv_monthly,
    mart_retention_cohort,
    model_parameters,
    wecom_tag_sync,
)
from expectations.published.common import MissingTable, TableSuite, table_checks

SUITES: dict[str, TableSuite] = {
    module.SUITE.table: module.SUITE
    for module in (
        customer_profile,
        customer_rfm,
        customer_lifecycle,
        customer_churn_warning,
        customer_tier,
        customer_tier_history,
        customer_predictions,
        model_parameters,
        customer_tags,
        customer_merges,
        customer_replenishment,
        customer_points,
        customer_coupons,
        mart_lifecycle_daily,
        mart_retention_cohort,
        mart_ltv_monthly,
        customer_actions,
        mart_action_outcomes,
        identity_graph_stats,
        wecom_tag_sync,
    )
}

PUBLISHED_TABLES: tuple[str, ...] = tuple(SUITES)

__all__ = ["PUBLISHED_TABLES", "SUITES", "MissingTable", "TableSuite", "table_checks"]
