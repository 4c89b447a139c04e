"""The purchase model's two steps in the nightly dbt build (rules §7), called by the Python
models `int_purchase_model__parameters` and `int_purchase_model__predictions`
(dbt_project/models/intermediate/purchase_model/).

- `parameters`: the parameter history as of D. The rows of runs dated before D are kept
  (a run as of D drops those dated D or later, so re-running a date changes nothing); D's
  rows are a new fit of BG/NBD and Gamma-Gamma on the customer summary, started from the
  last run's parameters. A model that does not converge keeps the last run's estimate and
  says so (`converged` false, `fitted_as_of`, `note`). When nothing can be published (no fit
  and nothing to keep, or a prediction would not be finite) D has no rows, and the gate
  refuses the publish.
- `predictions`: per customer with a qualifying order, the scores from D's parameters (no
  rows when D has none).

Both return DuckDB relations with the columns' types stated, so the tables dbt writes from
them have the same types whether they hold rows or not.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from cdp.purchase_model import model, summary

PARAMETER_TYPES = {
    "model": "varchar",
    "parameter": "varchar",
    "value": "double",
    "time_unit": "varchar",
    "log_likelihood": "double",
    "n_customers": "bigint",
    "as_of_date": "date",
    "converged": "boolean",
    "fitted_as_of": "date",
    "note": "varchar",
}
PREDICTION_TYPES = {
    "customer_id": "varchar",
    "p_alive": "double",
    "expected_orders_90d": "double",
    "expected_order_value": "double",
    "clv_365d": "double",
    "as_of_date": "date",
}


def _typed(conn: duckdb.DuckDBPyConnection, frame: pd.DataFrame, types: dict[str, str]):
    """The frame as a relation with the given column types (an empty frame too)."""
    if frame.empty:
        columns = ", ".join(f"null::{kind} as {name}" for name, kind in types.items())
        return conn.sql(f"select {columns} where false")
    relation = conn.from_df(frame)
    return relation.project(", ".join(f"{name}::{kind} as {name}" for name, kind in types.items()))


def _exists(conn: duckdb.DuckDBPyConnection, relation: str) -> bool:
    """Whether the table or view `[database.]schema.name` exists (the database: the
    connection's own)."""
    *database, schema, name = relation.split(".")
    return bool(
        conn.execute(
            "select count(*) from information_schema.tables where table_catalog = "
            "coalesce($database, current_database()) and table_schema = $schema "
            "and table_name = $name",
            {"database": database[0] if database else None, "schema": schema, "name": name},
        ).fetchall()[0][0]
    )


def _kept(conn: duckdb.DuckDBPyConnection, history: str, as_of: date) -> pd.DataFrame:
    """The history's rows of runs before D (none on a first build)."""
    if not _exists(conn, history):
        return pd.DataFrame(columns=list(PARAMETER_TYPES))
    return conn.execute(
        f"select * from {history} where as_of_date < $as_of", {"as_of": as_of}
    ).df()


def parameters(
    conn: duckdb.DuckDBPyConnection, orders: str, history: str, as_of: date
) -> duckdb.DuckDBPyRelation:
    """The parameter history as of D: the rows kept from `history` (the model's own table,
    `database.schema.table`) and D's fit on the qualifying `orders` (a SQL relation)."""
    kept = _kept(conn, history, as_of)
    customers = summary.customer_summary(conn, orders, as_of)
    return _typed(conn, parameter_rows(kept, customers, as_of), PARAMETER_TYPES)


def parameter_rows(kept: pd.DataFrame, customers: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The rows of runs before D (`kept`) and D's fit on the customer summary, started from
    the last kept run's parameters; D has no rows when nothing can be published."""
    previous = None
    if len(kept):
        last = kept[kept["as_of_date"] == kept["as_of_date"].max()]
        previous = model.Parameters.from_frame(last)
    try:
        result = model.fit(customers, previous)
        model.predict(customers, result.estimates)  # a non-finite score publishes nothing
        fitted = model.parameters_frame(result, as_of)
    except model.PurchaseModelError:
        fitted = pd.DataFrame(columns=list(PARAMETER_TYPES))
    frames = [frame for frame in (kept, fitted) if len(frame)]
    return pd.concat(frames, ignore_index=True) if frames else fitted


def predictions(
    conn: duckdb.DuckDBPyConnection, orders: str, parameters_table: str, as_of: date
) -> duckdb.DuckDBPyRelation:
    """Per customer with a qualifying order dated D or earlier, the scores of D's parameters
    (read from `parameters_table`, a SQL relation); no rows when D has none."""
    rows = conn.execute(
        f"select * from {parameters_table} where as_of_date = $as_of", {"as_of": as_of}
    ).df()
    if rows.empty:
        return _typed(conn, pd.DataFrame(), PREDICTION_TYPES)
    customers = summary.customer_summary(conn, orders, as_of)
    scores = model.predict(customers, model.Parameters.from_frame(rows))
    return _typed(conn, scores.assign(as_of_date=as_of), PREDICTION_TYPES)


def report(
    conn: duckdb.DuckDBPyConnection, history: str, orders: str, as_of: date
) -> tuple[list[str], list[str]]:
    """The run log's lines about D's fit, read back from the parameter history (`history`),
    and those of them worth a warning: the customers with a qualifying `orders` row dated D
    or earlier, then one line per model with its estimate or why it was kept (a warning), or
    one line saying nothing was fitted (a warning)."""
    if not (_exists(conn, history) and _exists(conn, orders)):
        return [], []
    customers = conn.execute(
        f"select count(distinct customer_id) from {orders} where order_date <= $as_of",
        {"as_of": as_of},
    ).fetchone()[0]
    lines = [f"as of {as_of}: {customers:,} customers with a qualifying order"]
    rows = conn.execute(f"select * from {history} where as_of_date = $as_of", {"as_of": as_of}).df()
    if rows.empty:
        warning = f"NOT FITTED, no predictions as of {as_of}: no fit and no parameters to keep"
        return [*lines, warning], [warning]
    warnings = []
    for name, params_class in model.PARAMS_CLASSES.items():
        fit = rows[rows["model"] == name].set_index("parameter")
        first = fit.iloc[0]
        values = ", ".join(f"{p}={fit.at[p, 'value']:.4g}" for p in params_class.NAMES)
        if first["converged"]:
            lines.append(
                f"{model.LABELS[name]}: fitted on {int(first['n_customers']):,} customers: "
                f"{values}; log-likelihood {first['log_likelihood']:,.1f}"
            )
        else:
            warnings.append(f"{model.LABELS[name]}: {first['note']}: {values}")
            lines.append(warnings[-1])
    return lines, warnings
