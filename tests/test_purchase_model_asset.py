"""The purchase model asset (rules §7) materialized by Dagster on a real DuckDB build database:
it fits, keeps the previous parameters when a fit does not converge (saying so in the run log
and in the table), publishes nothing when there is nothing to keep, and a re-run of an older
date rewinds the later parameters."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from cdp.bench.purchase_model import simulate
from orchestration.defs.purchase_model import purchase_model
from orchestration.defs.resources import Warehouse

D1, D2 = date(2026, 3, 31), date(2026, 4, 1)


def orders_from_summary(summary: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Qualifying orders whose summary as of `as_of` is `summary`: a first order T days before
    D, then x repeat days, the last one t_x days after the first, each spending m."""
    rows = []
    for c in summary.itertuples():
        first = as_of - timedelta(days=int(c.T))
        rows.append((c.customer_id, first, 50.0))
        repeat_days = [*range(1, int(c.x)), int(c.t_x)] if c.x else []
        rows.extend((c.customer_id, first + timedelta(days=d), round(c.m, 2)) for d in repeat_days)
    return pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])


def load_orders(folder: Path, orders: pd.DataFrame) -> None:
    with Warehouse(warehouse_dir=str(folder)).connect() as conn:
        conn.execute("create schema if not exists intermediate")
        conn.register("given_orders", orders)
        conn.execute(
            "create or replace table intermediate.int_customers__qualifying_orders as "
            "select customer_id, cast(order_date as date) as order_date, "
            "cast(amount as decimal(18, 2)) as amount from given_orders"
        )


def materialize(folder: Path, as_of: date, instance: dg.DagsterInstance) -> list[str]:
    """Run the asset as of a date; return the run's warnings."""
    result = dg.materialize(
        [purchase_model],
        instance=instance,
        resources={"warehouse": Warehouse(warehouse_dir=str(folder))},
        run_config={"ops": {"purchase_model": {"config": {"as_of": as_of.isoformat()}}}},
    )
    assert result.success
    return [
        entry.user_message
        for entry in instance.all_logs(result.run_id)
        if entry.level == logging.WARNING and entry.user_message.startswith("purchase model")
    ]


def query(folder: Path, sql: str) -> list[tuple]:
    with Warehouse(warehouse_dir=str(folder)).connect() as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


def test_a_fit_that_does_not_converge_keeps_the_previous_parameters(tmp_path: Path, instance):
    load_orders(tmp_path, orders_from_summary(simulate(3000, seed=7), D1))
    assert materialize(tmp_path, D1, instance) == []
    fitted = query(tmp_path, "select model, parameter, value from purchase_model.parameters order by all")
    assert len(fitted) == 7
    assert query(tmp_path, "select count(*), bool_and(converged) from purchase_model.parameters") == [(7, True)]
    assert query(tmp_path, "select count(*) from purchase_model.predictions") == [(3000,)]

    load_orders(tmp_path, orders_from_summary(simulate(3000, seed=7).head(5), D2))
    warnings = materialize(tmp_path, D2, instance)
    assert len(warnings) == 2 and all("kept the parameters fitted as of 2026-03-31" in w for w in warnings)
    kept = query(
        tmp_path,
        "select model, parameter, value, converged, fitted_as_of, note from purchase_model.parameters "
        f"where as_of_date = '{D2}' order by model, parameter",
    )
    assert [(m, p, v) for m, p, v, *_ in kept] == fitted
    assert {(converged, fitted_as_of) for _, _, _, converged, fitted_as_of, _ in kept} == {(False, D1)}
    assert all("did not converge" in note for *_, note in kept)
    scores = query(
        tmp_path,
        "select count(*), min(p_alive) >= 0 and max(p_alive) <= 1, "
        "bool_and(isfinite(expected_orders_90d) and isfinite(clv_365d)) "
        f"from purchase_model.predictions where as_of_date = '{D2}'",
    )
    assert scores == [(5, True, True)]

    load_orders(tmp_path, orders_from_summary(simulate(3000, seed=7), D1))
    materialize(tmp_path, D1, instance)  # a re-run of the older date rewinds D2's parameters
    assert query(tmp_path, "select distinct as_of_date from purchase_model.parameters") == [(D1,)]


def test_nothing_is_published_without_parameters_to_keep(tmp_path: Path, instance):
    load_orders(tmp_path, orders_from_summary(simulate(3000, seed=7).head(5), D1))
    warnings = materialize(tmp_path, D1, instance)
    assert len(warnings) == 1 and "nothing published" in warnings[0]
    assert query(tmp_path, "select count(*) from purchase_model.predictions") == [(0,)]
    assert query(tmp_path, "select count(*) from purchase_model.parameters") == [(0,)]


def test_the_simulated_orders_give_back_the_simulated_summary(tmp_path: Path):
    from cdp.purchase_model.summary import customer_summary

    summary = simulate(200, seed=3)
    load_orders(tmp_path, orders_from_summary(summary, D1))
    with Warehouse(warehouse_dir=str(tmp_path)).connect() as conn:
        back = customer_summary(conn, "intermediate.int_customers__qualifying_orders", D1)
    merged = summary.merge(back, on="customer_id", suffixes=("", "_sql"))
    assert len(merged) == 200
    for column in ("x", "t_x", "T"):
        assert (merged[column] == merged[f"{column}_sql"]).all(), column
    assert np.allclose(merged["m"].round(2), merged["m_sql"], atol=0.01)
