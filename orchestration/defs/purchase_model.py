"""The purchase model (rules §7) as a Dagster asset between two parts of the dbt graph.

It reads the run's qualifying orders from the build database (dbt model
`int_customers__qualifying_orders`), fits BG/NBD and Gamma-Gamma with the day as the time unit
(cdp/purchase_model), and writes two tables that dbt then reads as the source
`purchase_model`: `purchase_model.predictions` (the run's customers) and
`purchase_model.parameters` (one row set per run, kept across runs: a fit that does not
converge keeps the previous run's parameters, says so in the run log, and the row says so
too). A run as of D first drops the parameter rows of runs dated D or later, like the other
histories, so re-running a date changes nothing.

Dagster runs the dbt models upstream of it, then this asset, then the models that read its
tables (`customer_predictions`, `model_parameters`, `customer_churn_warning`) in a second
`dbt build` of the same run.
"""

import time

import dagster as dg
import duckdb
import pandas as pd

from cdp.purchase_model import model, summary
from ingestion.warehouse import WarehouseBusy
from orchestration.defs.as_of import AsOfConfig, resolve_as_of
from orchestration.defs.ingestion import _progress
from orchestration.defs.resources import Warehouse

SCHEMA = "purchase_model"
PREDICTIONS = dg.AssetKey([SCHEMA, "predictions"])
PARAMETERS = dg.AssetKey([SCHEMA, "parameters"])
ORDERS = dg.AssetKey(["intermediate", "int_customers__qualifying_orders"])
ORDERS_RELATION = "intermediate.int_customers__qualifying_orders"
OP_NAME = "purchase_model"

PARAMETERS_DDL = f"""
create table if not exists {SCHEMA}.parameters (
    model varchar not null,
    parameter varchar not null,
    value double not null,
    time_unit varchar not null,
    log_likelihood double not null,
    n_customers bigint not null,
    as_of_date date not null,
    converged boolean not null,
    fitted_as_of date not null,
    note varchar
)
"""
PREDICTIONS_DDL = f"""
create or replace table {SCHEMA}.predictions (
    customer_id varchar not null,
    p_alive double not null,
    expected_orders_90d double not null,
    expected_order_value double not null,
    clv_365d double not null,
    as_of_date date not null
)
"""


def previous_parameters(conn: duckdb.DuckDBPyConnection, as_of) -> model.Parameters | None:
    """The parameters of the last run before D, if any."""
    frame = conn.execute(
        f"select * from {SCHEMA}.parameters where as_of_date = "
        f"(select max(as_of_date) from {SCHEMA}.parameters where as_of_date < $as_of)",
        {"as_of": as_of},
    ).df()
    return model.Parameters.from_frame(frame) if len(frame) else None


def _write(conn: duckdb.DuckDBPyConnection, as_of, predictions, parameters) -> None:
    conn.execute("begin transaction")
    conn.execute(f"delete from {SCHEMA}.parameters where as_of_date >= $as_of", {"as_of": as_of})
    conn.execute(PREDICTIONS_DDL)
    if parameters is not None:
        conn.register("fitted_parameters", parameters)
        conn.execute(f"insert into {SCHEMA}.parameters by name select * from fitted_parameters")
    if predictions is not None:
        conn.register("fitted_predictions", predictions.assign(as_of_date=as_of))
        conn.execute(f"insert into {SCHEMA}.predictions by name select * from fitted_predictions")
    conn.execute("commit")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            PREDICTIONS,
            deps=[ORDERS],
            group_name=SCHEMA,
            kinds={"python", "duckdb"},
            description="`purchase_model.predictions`: p_alive, expected orders in 90 days, "
            "expected order value and 365-day CLV per customer with a qualifying order, as of D.",
        ),
        dg.AssetSpec(
            PARAMETERS,
            deps=[ORDERS],
            group_name=SCHEMA,
            kinds={"python", "duckdb"},
            description="`purchase_model.parameters`: BG/NBD and Gamma-Gamma parameters of every "
            "run (day time unit), with log-likelihood, customers, and whether the fit converged.",
        ),
    ],
    name=OP_NAME,
)
def purchase_model(context: dg.AssetExecutionContext, config: AsOfConfig, warehouse: Warehouse):
    say = _progress(context)
    as_of = resolve_as_of(config.as_of, context)
    started = time.perf_counter()
    try:
        with warehouse.connect() as conn:
            conn.execute(f"create schema if not exists {SCHEMA}")
            conn.execute(PARAMETERS_DDL)
            customers = summary.customer_summary(conn, ORDERS_RELATION, as_of)
            say(
                f"purchase model as of {as_of}: {len(customers):,} customers with a qualifying order"
            )
            predictions: pd.DataFrame | None = None
            parameters: pd.DataFrame | None = None
            try:
                result = model.fit(customers, previous_parameters(conn, as_of))
                predictions = model.predict(customers, result)
                parameters = model.parameters_frame(result, as_of)
                for line in model.report(result):
                    say(f"purchase model: {line}")
                for fit in result.fits:
                    if not fit.converged:
                        context.log.warning(f"purchase model: {fit.model}: {fit.note()}")
            except model.PurchaseModelError as exc:
                context.log.warning(f"purchase model: nothing published: {exc}")
                say(f"purchase model: NOT FITTED, no predictions as of {as_of}: {exc}")
            _write(conn, as_of, predictions, parameters)
    except WarehouseBusy as exc:
        raise dg.Failure(description=str(exc)) from None
    seconds = time.perf_counter() - started
    fitted = predictions is not None
    yield dg.MaterializeResult(
        asset_key=PREDICTIONS,
        metadata={
            "as_of": as_of.isoformat(),
            "customers": len(predictions) if fitted else 0,
            "fitted": fitted,
            "seconds": round(seconds, 2),
        },
    )
    yield dg.MaterializeResult(
        asset_key=PARAMETERS,
        metadata={
            "as_of": as_of.isoformat(),
            "converged": bool(fitted and parameters["converged"].all()),
            "parameters": ", ".join(
                f"{row.model}.{row.parameter}={row.value:.4g}" for row in parameters.itertuples()
            )
            if fitted
            else "not fitted",
        },
    )


defs = dg.Definitions(assets=[purchase_model])
