"""The published tables' suites, one module per table (read from `marts.<table>`).

What is published is one list: the dbt models tagged `published`. The orchestration hands it
to the gate, which checks each of those tables with its suite here (`suite_of`), or with the
common checks alone when a table has no module.
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



def suite_of(table: str) -> TableSuite:
    """The table's suite: its module's, or the common checks alone."""
    return SUITES.get(table) or TableSuite(table=table, key=())


__all__ = ["SUITES", "MissingTable", "TableSuite", "suite_of", "table_checks"]
