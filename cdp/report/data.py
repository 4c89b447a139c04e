"""What the report shows, read from the published tables (cdp.publish.open_published:
published.duckdb, or the Parquet files of a publish without it) into small frames.

Every query aggregates in DuckDB, so a frame has at most a few thousand rows whatever the
number of customers. A table missing from the publish (e.g. one published before it existed)
gives an empty frame, which the page shows as "no data yet".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from cdp import publish

TIER_MOVE_DAYS = 30
"""Tier moves are counted over the last 30 days: valid_from in [D − 29, D]."""
RETENTION_COHORTS = 24
"""The retention heat map shows the newest 24 join cohorts (months)."""

QUERIES: dict[str, tuple[tuple[str, ...], str]] = {
    "profile": (
        ("customer_profile",),
        "select count(*) as customers from customer_profile",
    ),
    "lifecycle": (
        ("customer_lifecycle",),
        "select lifecycle_stage as stage, any_value(lifecycle_stage_zh) as stage_zh, "
        "count(*) as customers from customer_lifecycle group by 1",
    ),
    "purchase_journey": (
        ("customer_lifecycle",),
        "select purchase_journey_stage as stage, count(*) as customers from customer_lifecycle "
        "where purchase_journey_stage is not null group by 1",
    ),
    "lifecycle_daily": (
        ("mart_lifecycle_daily",),
        "select as_of_date, dimension, dimension_value, dimension_value_zh, customers "
        "from mart_lifecycle_daily where dimension in ('lifecycle', 'journey_stage') "
        "order by as_of_date, dimension, dimension_value",
    ),
    "rfm_segments": (
        ("customer_rfm",),
        "select rfm_segment, any_value(rfm_segment_zh) as rfm_segment_zh, count(*) as customers "
        "from customer_rfm group by 1 order by customers desc, rfm_segment",
    ),
    "rfm_grid": (
        ("customer_rfm",),
        "select r_score, f_score, count(*) as customers from customer_rfm group by all",
    ),
    "tiers": (
        ("customer_tier",),
        "select value_tier, count(*) as customers from customer_tier group by 1",
    ),
    "tier_moves": (
        ("customer_tier_history",),
        "select previous_value_tier, value_tier, tier_change, count(*) as customers "
        "from customer_tier_history where tier_change in ('upgrade', 'downgrade') "
        f"and valid_from between $as_of - {TIER_MOVE_DAYS - 1} and $as_of "
        "group by all order by tier_change desc, customers desc",
    ),
    "retention": (
        ("mart_retention_cohort",),
        "select cohort_month, months_since_join, cohort_customers, retention_rate "
        "from mart_retention_cohort where cohort_month > (select max(cohort_month) "
        f"from mart_retention_cohort) - interval {RETENTION_COHORTS} month "
        "order by cohort_month, months_since_join",
    ),
    "ltv": (
        ("mart_ltv_monthly",),
        "select month, is_month_to_date, customer_base, average_order_value, "
        "orders_per_customer, revenue::double as revenue, base_log_change, aov_log_change, "
        "frequency_log_change from mart_ltv_monthly "
        "where month >= (select min(month) from mart_ltv_monthly where orders > 0) order by month",
    ),
    "tasks": (
        ("customer_actions",),
        "select action, any_value(action_zh) as action_zh, status, min(priority) as priority, "
        "count(*) as customers from customer_actions group by action, status",
    ),
    "tasks_by_staff": (
        ("customer_actions",),
        "select coalesce(owner_userid, channel) as staff, action_zh, count(*) as customers "
        "from customer_actions where status = 'issued' group by all order by staff, action_zh",
    ),
    "outcomes": (
        ("mart_action_outcomes", "customer_actions"),
        "select o.action, coalesce(any_value(a.action_zh), o.action) as action_zh, "
        "sum(o.issued) as issued, sum(o.control) as control, "
        "sum(o.issued_converted) as issued_converted, "
        "sum(o.control_converted) as control_converted, "
        "min(o.issue_date) as first_issue_date, max(o.issue_date) as last_issue_date "
        "from mart_action_outcomes o "
        "left join (select distinct action, action_zh from customer_actions) a using (action) "
        "group by o.action order by o.action",
    ),
}
"""Frame name: (the published tables it reads, its query; `$as_of` is the published D)."""


@dataclass(frozen=True)
class ReportData:
    """The published run (manifest), its gate report, and one frame per query above."""

    as_of: date
    run_id: str
    published_at: str
    gate: dict[str, Any] | None
    frames: dict[str, pd.DataFrame]

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]


def load(warehouse_dir: Path, gate: dict[str, Any] | None) -> ReportData:
    """Read the current publish; `gate` is the run's gate report (gate/<run id>.json)."""
    manifest = publish.read_manifest(warehouse_dir)
    if manifest is None:
        raise FileNotFoundError(f"nothing published yet in {warehouse_dir}")
    as_of = date.fromisoformat(manifest["as_of_date"])
    with publish.open_published(warehouse_dir) as conn:
        tables = {name for (name,) in conn.sql("show tables").fetchall()}
        frames = {
            name: (
                conn.execute(sql, {"as_of": as_of} if "$as_of" in sql else None).df()
                if set(needs) <= tables
                else pd.DataFrame()
            )
            for name, (needs, sql) in QUERIES.items()
        }
    return ReportData(
        as_of=as_of,
        run_id=manifest["run_id"],
        published_at=manifest.get("published_at", ""),
        gate=gate,
        frames=frames,
    )
