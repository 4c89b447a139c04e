"""The gate's reads on Spark: the same SQL as on DuckDB, translated by sqlglot.

`SparkQueries` (the `Queries` of expectations/queries.py) runs each of the gate's queries,
written in DuckDB's dialect, on a Spark session: `to_spark` binds the `?` parameters as
literals and transpiles the query with sqlglot (`read="duckdb", write="spark"`), with the
corrections of expectations/spark_sql.py where sqlglot's translation would compute something
else. The rows come back through Arrow as DuckDB's do, so GX sees the same frames on both
engines (dates as dates, whole numbers as integers) and writes the same failure lines.

Given a way to register a table (a Spark night's: over its Parquet folder,
orchestration/lib/quality_gate.py), it registers each table in the session's catalog when a
query first reads it, so a gate registers the tables its suites read, not every table of the
warehouse (a small night's 78 tables took 14 s of its 30 s gate to register).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pandas as pd
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from expectations.spark_sql import corrected


def to_spark(sql: str, params: Sequence[Any] = ()) -> str:
    """The query in Spark's SQL, its `?` bound to `params`."""
    return write(parse(sql, params))


def parse(sql: str, params: Sequence[Any] = ()) -> exp.Expression:
    """The query's tree (DuckDB's dialect), its `?` bound to `params`."""
    return sqlglot.parse_one(bind(sql, params), read="duckdb")


def write(tree: exp.Expression) -> str:
    return corrected(tree).sql(dialect="spark")


def tables_read(tree: exp.Expression) -> set[tuple[str, str]]:
    """The `(schema, table)` of each schema-qualified table the query reads."""
    return {(t.db, t.name) for t in tree.find_all(exp.Table) if t.db and t.name}


def bind(sql: str, params: Sequence[Any]) -> str:
    """DuckDB SQL with each `?` placeholder (not a `?` inside a string, as in a regular
    expression) replaced by its parameter as a literal."""
    placeholders = [
        token for token in sqlglot.tokenize(sql, read="duckdb")
        if token.token_type == TokenType.PLACEHOLDER and token.text == "?"
    ]
    if len(placeholders) != len(params):
        raise ValueError(f"{len(placeholders)} placeholders for {len(params)} parameters")
    pieces, end = [], 0
    for token, value in zip(placeholders, params):
        pieces += [sql[end : token.start], literal(value)]
        end = token.end + 1
    return "".join([*pieces, sql[end:]])


def literal(value: Any) -> str:
    """A parameter as a SQL literal (DuckDB's dialect)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        raise TypeError("an instant parameter is not supported: pass a date or text")
    if isinstance(value, dt.date):
        return f"date '{value.isoformat()}'"
    if isinstance(value, float):
        return f"cast({value!r} as double)"  # as DuckDB binds it: a bare 0.05 is a decimal
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__}")


Register = Callable[[str, str], bool]
"""Registers `<schema>.<table>` in the session's catalog; False when there is none to
register."""


class SparkQueries:
    """The gate's reads on a Spark session. With `register`, each table is registered the
    first time a query reads it; without, the session's catalog must hold the tables already.
    `registered`: the tables registered, and `register_seconds` the time it took."""

    where = "Spark"

    def __init__(self, session: Any, register: Register | None = None) -> None:
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        self.session = session
        self.register = register
        self.errors: tuple[type[BaseException], ...] = (PySparkException, Py4JError, SqlglotError)
        self.registered: list[str] = []
        self.register_seconds = 0.0
        self._looked_up: set[tuple[str, str]] = set()

    def _read(self, schema: str, table: str) -> None:
        """Register the table the first time it is read."""
        if self.register is None or (schema, table) in self._looked_up:
            return
        self._looked_up.add((schema, table))
        started = time.perf_counter()
        if self.register(schema, table):
            self.registered.append(f"{schema}.{table}")
        self.register_seconds += time.perf_counter() - started

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        tree = parse(sql, params)
        for schema, table in sorted(tables_read(tree)):
            self._read(schema, table)
        return self.session.sql(write(tree)).toArrow().to_pandas()

    def columns(self, schema: str, table: str) -> dict[str, str]:
        if not self.has_table(schema, table):
            return {}
        fields = self.session.table(f"`{schema}`.`{table}`").schema.fields
        return {f.name: duckdb_type(f.dataType) for f in fields}

    def has_table(self, schema: str, table: str) -> bool:
        self._read(schema, table)
        return bool(self.session.catalog.tableExists(f"`{schema}`.`{table}`"))

    def count(self, schema: str, table: str) -> int:
        self._read(schema, table)
        return self.session.table(f"`{schema}`.`{table}`").count()


SIMPLE_TYPES = {
    "string": "VARCHAR",
    "double": "DOUBLE",
    "float": "FLOAT",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "smallint": "SMALLINT",
    "tinyint": "TINYINT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
    "timestamp_ntz": "TIMESTAMP",
    "binary": "BLOB",
}


def duckdb_type(spark_type: Any) -> str:
    """A Spark column type by DuckDB's name for it, as `information_schema` gives it (the gate
    tells text, lists and doubles apart by these names)."""
    from pyspark.sql import types

    if isinstance(spark_type, types.ArrayType):
        return f"{duckdb_type(spark_type.elementType)}[]"
    if isinstance(spark_type, types.StructType):
        inner = ", ".join(f"{f.name} {duckdb_type(f.dataType)}" for f in spark_type.fields)
        return f"STRUCT({inner})"
    if isinstance(spark_type, types.MapType):
        return f"MAP({duckdb_type(spark_type.keyType)}, {duckdb_type(spark_type.valueType)})"
    if isinstance(spark_type, types.DecimalType):
        return f"DECIMAL({spark_type.precision},{spark_type.scale})"
    name = spark_type.simpleString()
    if name.startswith(("varchar", "char")):
        return "VARCHAR"
    return SIMPLE_TYPES.get(name, name.upper())
