"""Every read of the quality gate from the database, behind one small interface.

The gate's SQL is written once, in DuckDB's dialect (expectations/inputs.py, identity.py,
published/). `Queries` is what the gate asks of a database: a query's small frame, a table's
columns and whether it exists, its row count. `DuckDBQueries` runs them on the build database;
on Spark, `expectations.spark_queries.SparkQueries` translates the same SQL and runs it on a
Spark session. GX validates the frames either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import duckdb
import pandas as pd

from expectations.gx_layer import quote
from ingestion.warehouse import has_table


class Queries(Protocol):
    """What the gate reads. `where` names the engine in the run's log lines (`DuckDB`,
    `Spark`); `errors` are the exceptions of a query that cannot run (a missing table or
    column), which fail the check that ran it instead of stopping the gate."""

    where: str
    errors: tuple[type[BaseException], ...]

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """The rows of a small query in DuckDB's SQL, `?` bound to `params` (dates as dates)."""
        ...

    def columns(self, schema: str, table: str) -> dict[str, str]:
        """Column name → DuckDB type name (`VARCHAR`, `VARCHAR[]`, `DOUBLE`…), in table
        order; empty when the table is missing."""
        ...

    def has_table(self, schema: str, table: str) -> bool: ...

    def count(self, schema: str, table: str) -> int: ...


class DuckDBQueries:
    """The gate's reads on a DuckDB connection (the build database)."""

    where = "DuckDB"
    errors: tuple[type[BaseException], ...] = (duckdb.Error,)

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        return self.conn.sql(sql, params=list(params) or None).to_arrow_table().to_pandas()

    def columns(self, schema: str, table: str) -> dict[str, str]:
        rows = self.conn.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        return dict(rows)

    def has_table(self, schema: str, table: str) -> bool:
        return has_table(self.conn, f"{schema}.{table}")

    def count(self, schema: str, table: str) -> int:
        return self.conn.execute(f"select count(*) from {quote(schema)}.{quote(table)}").fetchall()[0][0]
