"""Two publishes compared table by table, row for row: `cdp compare FIRST SECOND` (README
"Running on Spark": a Spark run against DuckDB's on the same extracts) and the engines'
comparison of tests/test_spark.py.

The current publish of each warehouse is attached (`cdp.publish.attach_published`: its
published.duckdb, or its Parquet files). Both must publish the same tables with the same
columns. Each table's rows are sorted and compared value by value: instants as naive UTC,
decimals as floats, lists and structs element by element, floats within `REL_TOL` relative
(an engine's last digit of a sum). A difference names the table, the column and a row.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from cdp.publish import attach_published

REL_TOL = 1e-9


@dataclass(frozen=True)
class TableComparison:
    """One table of the first publish against the same table of the second: its rows in the
    first, and the first difference found (None: the same rows)."""

    table: str
    rows: int
    difference: str | None


def relations(conn: duckdb.DuckDBPyConnection, catalog: str, schemas: str) -> set[str]:
    """`schema.table` of every table and view of an attached database in those schemas (a
    list of quoted names: `'main'`)."""
    found = conn.execute(
        "select schema_name || '.' || table_name from duckdb_tables() "
        f"where database_name = '{catalog}' and schema_name in ({schemas}) "
        "union all select schema_name || '.' || view_name from duckdb_views() "
        f"where database_name = '{catalog}' and schema_name in ({schemas})"
    ).fetchall()
    return {name for (name,) in found}


def normalised(value: Any) -> Any:
    """A value as two engines' tables can be compared: instants as naive UTC, decimals as
    floats, lists and structs element by element."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items()}
    return value


def sort_key(row: tuple) -> str:
    """Rows in one order on both sides (floats rounded, so a last-digit difference does not
    reorder them)."""
    return repr(tuple(f"{v:.9g}" if isinstance(v, float) else v for v in row))


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=REL_TOL) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def rows(conn: duckdb.DuckDBPyConnection, relation: str, columns: list[str]) -> list[tuple]:
    """The relation's rows of those columns, normalised and sorted."""
    selected = ", ".join(f'"{c}"' for c in columns)
    fetched = conn.execute(f"select {selected} from {relation}").fetchall()
    return sorted((tuple(normalised(v) for v in row) for row in fetched), key=sort_key)


def difference(
    table: str,
    columns: list[str],
    first: list[tuple],
    second: list[tuple],
    labels: tuple[str, str] = ("A", "B"),
) -> str | None:
    """The first difference of two sorted row lists: the table, the column and the row."""
    if len(first) != len(second):
        only = {sort_key(r) for r in first} ^ {sort_key(r) for r in second}
        return (
            f"{table}: {len(first)} rows in {labels[0]}, {len(second)} in {labels[1]}; "
            f"e.g. {min(only)}"
        )
    for first_row, second_row in zip(first, second):
        for column, a, b in zip(columns, first_row, second_row):
            if not same(a, b):
                row = dict(zip(columns, first_row))
                return f"{table}.{column}: {labels[0]} {a!r}, {labels[1]} {b!r} in the row {row}"
    return None


def compare_tables(
    conn: duckdb.DuckDBPyConnection,
    tables: Collection[str],
    first: str,
    second: str,
    *,
    labels: tuple[str, str] = ("A", "B"),
    skipped: Mapping[str, Collection[str]] | None = None,
) -> Iterator[TableComparison]:
    """Each of `tables` in the attached catalogs `first` and `second`, row for row, but the
    `skipped` columns of a table. Columns that differ in name or order are a difference."""
    for table in tables:
        columns = [c for (c, *_) in conn.execute(f"describe {first}.{table}").fetchall()]
        other = [c for (c, *_) in conn.execute(f"describe {second}.{table}").fetchall()]
        if other != columns:
            found = f"{table}: columns {columns} in {labels[0]}, {other} in {labels[1]}"
            yield TableComparison(table, 0, found)
            continue
        columns = [c for c in columns if c not in (skipped or {}).get(table, ())]
        first_rows = rows(conn, f"{first}.{table}", columns)
        second_rows = rows(conn, f"{second}.{table}", columns)
        yield TableComparison(
            table, len(first_rows), difference(table, columns, first_rows, second_rows, labels)
        )


def compare_published(
    first_dir: Path, second_dir: Path, labels: tuple[str, str] = ("A", "B")
) -> Iterator[TableComparison]:
    """The current publishes of two warehouses, table by table (a table published by one of
    them only is a difference). FileNotFoundError when one has published nothing."""
    with duckdb.connect() as conn:
        conn.execute("set TimeZone = 'UTC'")
        attach_published(conn, first_dir, "first")
        attach_published(conn, second_dir, "second")
        tables = relations(conn, "first", "'main'")
        others = relations(conn, "second", "'main'")
        for table, side in [(t, labels[0]) for t in tables - others] + [
            (t, labels[1]) for t in others - tables
        ]:
            yield TableComparison(table, 0, f"{table}: published in {side} only")
        yield from compare_tables(
            conn, sorted(tables & others), "first", "second", labels=labels
        )
