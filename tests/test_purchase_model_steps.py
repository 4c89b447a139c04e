"""The purchase model's two dbt Python models (rules §7) run by dbt on a real DuckDB build
database: they fit, keep the previous parameters when a fit does not converge (saying so in
the run log and in the table), publish nothing when there is nothing to keep, and a re-run of
an older date rewinds the later parameters."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from dbt_in_process import dbt

from tools.bench.purchase_model import simulate
from cdp.purchase_model import steps
from orchestration.defs.resources import Warehouse

D1, D2 = date(2026, 3, 31), date(2026, 4, 1)
PARAMETERS = "intermediate.int_purchase_model__parameters"
PREDICTIONS = "intermediate.int_purchase_model__predictions"
ORDERS_RELATION = "intermediate.int_customers__qualifying_orders"


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


def build(folder: Path, as_of: date) -> None:
    """`dbt run` of the purchase model's two Python models as of a date, on the qualifying
    orders loaded in `folder`'s build database (the models upstream are not built)."""
    dbt("run", "--select", "int_purchase_model__parameters", "int_purchase_model__predictions",
        warehouse_dir=folder, target=folder / "target", environment={"CDP_AS_OF": as_of.isoformat()})


def report(folder: Path, as_of: date) -> tuple[list[str], list[str]]:
    with Warehouse(warehouse_dir=str(folder)).connect() as conn:
        return steps.report(conn, PARAMETERS, ORDERS_RELATION, as_of)


def query(folder: Path, sql: str) -> list[tuple]:
    with Warehouse(warehouse_dir=str(folder)).connect() as conn:
        return conn.execute(sql).fetchall()


def test_a_fit_that_does_not_converge_keeps_the_previous_parameters(tmp_path: Path):
    load_orders(tmp_path, orders_from_summary(simulate(3000, seed=7), D1))
    build(tmp_path, D1)
    lines, warnings = report(tmp_path, D1)
    assert warnings == [] and lines[0] == f"as of {D1}: 3,000 customers with a qualifying order"
    assert [line.split(":")[0] for line in lines[1:]] == ["BG/NBD (time unit", "Gamma-Gamma (yuan)"]
    assert all("fitted on" in line for line in lines[1:])
    fitted = query(tmp_path, f"select model, parameter, value from {PARAMETERS} order by all")
    assert len(fitted) == 7
    assert query(tmp_path, f"select count(*), bool_and(converged) from {PARAMETERS}") == [(7, True)]
    assert query(tmp_path, f"select count(*) from {PREDICTIONS}") == [(3000,)]

    load_orders(tmp_path, orders_from_summary(simulate(3000, seed=7).head(5), D2))
    build(tmp_path, D2)
    lines, warnings = report(tmp_path, D2)
    assert lines[0] == f"as of {D2}: 5 customers with a qualifying order"
    assert warnings == lines[1:] and len(warnings) == 2  # both models kept D1's estimates
    assert all("kept the parameters fitted as of 2026-03-31" in line for line in warnings)
    kept = query(
        tmp_path,
        f"select model, parameter, value, converged, fitted_as_of, note from {PARAMETERS} "
        f"where as_of_date = '{D2}' order by model, parameter",
    )
    assert [(m, p, v) for m, p, v, *_ in kept] == fitted
    assert {(converged, fitted_as_of) for _, _, _, converged, fitted_as_of, _ in kept} == {(False, D1)}
    assert all("did not converge" in note for *_, note in kept)
    scores = query(
        tmp_path,
        "select count(*), min(p_alive) >= 0 and max(p_alive) <= 1, "
        "bool_and(isfinite(expected_orders_90d) and isfinite(clv_365d)), any_value(as_of_date) "
        f"from {PREDICTIONS}",
    )
    assert scores == [(5, True, True, D2)]

    load_orders(tmp_path, orders_from_summary(simulate(3000, seed=7), D1))
    build(tmp_path, D1)  # a re-run of the older date rewinds D2's parameters
    assert query(tmp_path, f"select distinct as_of_date from {PARAMETERS}") == [(D1,)]


def test_nothing_is_published_without_parameters_to_keep(tmp_path: Path):
    load_orders(tmp_path, orders_from_summary(simulate(3000, seed=7).head(5), D1))
    build(tmp_path, D1)
    not_fitted = f"NOT FITTED, no predictions as of {D1}: no fit and no parameters to keep"
    assert report(tmp_path, D1) == (
        [f"as of {D1}: 5 customers with a qualifying order", not_fitted], [not_fitted]
    )
    assert query(tmp_path, f"select count(*) from {PREDICTIONS}") == [(0,)]
    assert query(tmp_path, f"select count(*) from {PARAMETERS}") == [(0,)]
    types = query(
        tmp_path,
        "select table_name, column_name, data_type from information_schema.columns "
        "where column_name in ('p_alive', 'as_of_date', 'converged') and table_name like "
        "'int_purchase_model__%' order by all",
    )
    assert types == [
        ("int_purchase_model__parameters", "as_of_date", "DATE"),
        ("int_purchase_model__parameters", "converged", "BOOLEAN"),
        ("int_purchase_model__predictions", "as_of_date", "DATE"),
        ("int_purchase_model__predictions", "p_alive", "DOUBLE"),
    ]


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
