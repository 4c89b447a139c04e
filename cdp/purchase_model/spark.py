"""The purchase model's two steps on Spark (rules §7): what `cdp.purchase_model.steps` does
on DuckDB, for the same Python models when dbt runs them on a Spark session
(cdp/spark/dbt.py).

- `parameters`: the customer summary is computed by Spark SQL (the same query,
  `summary.summary_sql`); the fit, which needs every customer's four numbers at once, runs
  on the driver with the same code and gives the same estimates.
- `predictions`: scored where the summary's rows are, batch by batch (`mapInPandas`), from
  D's parameters.

The parameters' model reads its own table, the history of earlier runs: on Spark it is an
`incremental` model whose rows overwrite the table (its YAML), since dbt drops a plain Parquet
table before it rebuilds it as a `table`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pandas as pd
from pyspark.sql import DataFrame, SparkSession

from cdp.purchase_model import model, summary
from cdp.purchase_model.steps import PARAMETER_TYPES, PREDICTION_TYPES, parameter_rows

SPARK_TYPES = {"varchar": "string", "double": "double", "bigint": "bigint", "date": "date",
               "boolean": "boolean"}
ORDERS_VIEW = "_purchase_model_orders"


def _schema(types: dict[str, str]) -> str:
    return ", ".join(f"{name} {SPARK_TYPES[kind]}" for name, kind in types.items())


def _summary(spark: SparkSession, orders: DataFrame, as_of: date) -> DataFrame:
    orders.createOrReplaceTempView(ORDERS_VIEW)
    return spark.sql(summary.summary_sql(ORDERS_VIEW, as_of, engine="spark"))


def parameters(spark: SparkSession, orders: DataFrame, history: str, as_of: date) -> DataFrame:
    """The parameter history as of D (see `steps.parameters`)."""
    kept = pd.DataFrame(columns=list(PARAMETER_TYPES))
    if spark.catalog.tableExists(history):
        kept = spark.table(history).where(f"as_of_date < date '{as_of.isoformat()}'").toPandas()
    customers = _summary(spark, orders, as_of).toPandas()
    rows = parameter_rows(kept, customers, as_of)
    records = [
        tuple(None if pd.isna(value) else value for value in row)
        for row in rows[list(PARAMETER_TYPES)].itertuples(index=False)
    ]
    return spark.createDataFrame(records, schema=_schema(PARAMETER_TYPES))


def predictions(
    spark: SparkSession, orders: DataFrame, fitted: DataFrame, as_of: date
) -> DataFrame:
    """Per customer with a qualifying order dated D or earlier, the scores of D's parameters
    (no rows when D has none)."""
    rows = fitted.where(f"as_of_date = date '{as_of.isoformat()}'").toPandas()
    schema = _schema(PREDICTION_TYPES)
    if rows.empty:
        return spark.createDataFrame([], schema=schema)
    estimates = model.Parameters.from_frame(rows)

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            if len(batch):
                yield model.predict(batch, estimates).assign(as_of_date=as_of)

    return _summary(spark, orders, as_of).mapInPandas(score, schema=schema)
