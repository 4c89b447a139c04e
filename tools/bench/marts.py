"""The RFM and lifecycle marts (rules §3, §4) beside the same computations in plain pandas.

Both sides start from the same inputs in the build database: the qualifying orders
(`int_customers__qualifying_orders`), each customer's joined date
(`int_customers__joined_dates`) and last activity dates (`int_customers__activity`).

* ours: the dbt models `int_customers__order_summary`, `customer_rfm` and
  `customer_lifecycle`, each model's execution time as dbt reports it (dbt's fixed start-up
  cost is not the marts' cost; it is in the nightly figures);
* pandas: the script a team would otherwise write: read the three inputs into DataFrames,
  group the orders, rank and score, compare with the means, stage the customers. Money is
  read as whole fen (int64), so both sides compare exact sums, as the mart does.

`compare` checks that the two agree row for row, so the race is between equal results.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml

from orchestration.dbt_manifest import PROJECT_DIR

MART_MODELS = ("int_customers__order_summary", "customer_rfm", "customer_lifecycle")
SEGMENTS = {
    (True, True, True): "important_value",
    (True, False, True): "important_develop",
    (False, True, True): "important_retain",
    (False, False, True): "important_winback",
    (True, True, False): "general_value",
    (True, False, False): "general_develop",
    (False, True, False): "general_retain",
    (False, False, False): "general_winback",
}
RFM_COLUMNS = ["customer_id", "recency_days", "frequency", "r_score", "f_score", "m_score",
               "rfm_segment"]
LIFECYCLE_COLUMNS = ["customer_id", "journey_day", "journey_stage", "order_count",
                     "lifecycle_stage"]


def rule_vars() -> dict:
    """The thresholds of dbt_project.yml, so both sides apply the same rules."""
    project = yaml.safe_load((Path(PROJECT_DIR) / "dbt_project.yml").read_text(encoding="utf-8"))
    return project["vars"]


def _score(rank: pd.Series, n: int) -> pd.Series:
    return 1 + (5 * (rank.astype(np.int64) - 1)) // n


def pandas_rfm(orders: pd.DataFrame, as_of: date, window_days: int) -> pd.DataFrame:
    day = pd.Timestamp(as_of)
    recent = orders[orders["order_date"] >= day - pd.Timedelta(days=window_days - 1)]
    rfm = recent.groupby("customer_id").agg(
        last_order=("order_date", "max"),
        frequency=("order_date", "size"),
        monetary_fen=("amount_fen", "sum"),
    ).reset_index()
    n = len(rfm)
    rfm["recency_days"] = (day - rfm["last_order"]).dt.days
    rfm["r_score"] = _score(rfm["recency_days"].rank(method="min", ascending=False), n)
    rfm["f_score"] = _score(rfm["frequency"].rank(method="min"), n)
    rfm["m_score"] = _score(rfm["monetary_fen"].rank(method="min"), n)
    high_r = rfm["recency_days"] * n < rfm["recency_days"].sum()
    high_f = rfm["frequency"] * n > rfm["frequency"].sum()
    high_m = rfm["monetary_fen"] * n > rfm["monetary_fen"].sum()
    rfm["rfm_segment"] = [SEGMENTS[key] for key in zip(high_r, high_f, high_m)]
    return rfm


def pandas_lifecycle(
    orders: pd.DataFrame, joined: pd.DataFrame, activity: pd.DataFrame, as_of: date, rules: dict
) -> pd.DataFrame:
    day = pd.Timestamp(as_of)
    summary = orders.groupby("customer_id").agg(
        last_order_date=("order_date", "max"), order_count=("order_date", "size")
    )
    people = joined[joined["joined_date"] <= day].set_index("customer_id")
    people = people.join(summary).join(activity.set_index("customer_id"))
    people["order_count"] = people["order_count"].fillna(0).astype(np.int64)
    last_active = people[["last_order_date", "last_event_date", "last_inbound_date"]].max(axis=1)
    people["last_active_date"] = last_active.fillna(people["joined_date"])
    people["journey_day"] = (day - people["joined_date"]).dt.days
    stages = sorted(rules["journey_stages"], key=lambda s: s["from_day"])
    bounds = [s["from_day"] for s in stages]
    people["journey_stage"] = [
        stages[i]["stage"] for i in np.searchsorted(bounds, people["journey_day"], side="right") - 1
    ]
    since_active = (day - people["last_active_date"]).dt.days
    since_order = (day - people["last_order_date"]).dt.days
    no_orders = people["order_count"] == 0
    dormant, churned = rules["dormant_after_days"], rules["churned_after_days"]
    people["lifecycle_stage"] = np.select(
        [
            no_orders & (since_active <= churned),
            no_orders,
            (since_order <= dormant) & (people["order_count"] == 1),
            since_order <= dormant,
            since_order <= churned,
        ],
        ["introduction", "churned", "growth", "mature", "dormant"],
        default="churned",
    )
    return people.reset_index()


def read_inputs(conn: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, ...]:
    """The three inputs as a pandas script reads them (dates as datetime64, money in fen)."""
    orders = conn.sql(
        "select customer_id, order_date::timestamp as order_date, "
        "cast(amount * 100 as bigint) as amount_fen "
        "from intermediate.int_customers__qualifying_orders"
    ).df()
    joined = conn.sql(
        "select customer_id, joined_date::timestamp as joined_date "
        "from intermediate.int_customers__joined_dates"
    ).df()
    activity = conn.sql(
        "select customer_id, last_event_date::timestamp as last_event_date, "
        "last_inbound_date::timestamp as last_inbound_date from intermediate.int_customers__activity"
    ).df()
    return orders, joined, activity


def pandas_marts(
    conn: duckdb.DuckDBPyConnection, as_of: date, rules: dict
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The whole pandas script: read, then RFM and lifecycle."""
    orders, joined, activity = read_inputs(conn)
    rfm = pandas_rfm(orders, as_of, rules["rfm_window_days"])
    lifecycle = pandas_lifecycle(orders, joined, activity, as_of, rules)
    return rfm, lifecycle


def _sorted(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame[columns].sort_values("customer_id").reset_index(drop=True)
    return out.astype({c: "int64" for c in columns if c.endswith(("_days", "_day", "_score",
                                                                      "frequency", "_count"))})


def compare(conn: duckdb.DuckDBPyConnection, rfm: pd.DataFrame, lifecycle: pd.DataFrame) -> list[str]:
    """Where the pandas results differ from the marts (empty when they agree row for row)."""
    problems = []
    for name, ours, columns in (
        ("customer_rfm", rfm, RFM_COLUMNS),
        ("customer_lifecycle", lifecycle, LIFECYCLE_COLUMNS),
    ):
        mart = conn.sql(f"select {', '.join(columns)} from marts.{name}").df()
        left, right = _sorted(mart, columns), _sorted(ours, columns)
        if len(left) != len(right):
            problems.append(f"{name}: {len(left):,} rows in the mart, {len(right):,} from pandas")
            continue
        for column in columns:
            differ = int((left[column].astype(str) != right[column].astype(str)).sum())
            if differ:
                problems.append(f"{name}.{column}: {differ:,} of {len(left):,} rows differ")
    return problems


def timed(
    conn: duckdb.DuckDBPyConnection, as_of: date, rules: dict
) -> tuple[float, tuple[pd.DataFrame, pd.DataFrame]]:
    """Seconds the pandas script takes, and its two results."""
    started = time.perf_counter()
    results = pandas_marts(conn, as_of, rules)
    return time.perf_counter() - started, results
