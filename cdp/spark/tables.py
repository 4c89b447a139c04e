"""Spark's tables in the build database, so the steps after the dbt build read them as on
DuckDB.

On Spark (the profile's `spark` target) dbt writes every table as Parquet under
`<warehouse>/spark/warehouse/<schema>.db/<table>/`. After the build, `attach` makes each
table of the build a view of the same `<schema>.<table>` in the build database, over those
files: the purchase model's report and the publish then read the rows Spark wrote, with no
Spark session. Spark's views are not Parquet and are left out; nothing after the build reads
one. The quality gate reads the same folders on Spark (`schema_folders`, cdp/spark/session.py).

Instants are written as `TIMESTAMP_MICROS` adjusted to UTC (the profile's
`spark.sql.parquet.outputTimestampType`), which DuckDB reads as `timestamptz`, the type the
DuckDB build gives them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

TABLES = Path("spark") / "warehouse"
"""Under the warehouse folder: Spark's tables (the profile's `spark.sql.warehouse.dir`)."""
BUILT = {"model", "seed"}
NOT_TABLES = {"view", "ephemeral"}


def built_tables(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The `(schema, table)` of every model and seed dbt builds as a table."""
    return sorted(
        (node["schema"], node["alias"])
        for node in manifest["nodes"].values()
        if node["resource_type"] in BUILT
        and node["config"].get("materialized") not in NOT_TABLES
        and node["config"].get("enabled", True)
    )


def attach(
    conn: duckdb.DuckDBPyConnection, warehouse_dir: Path, tables: Iterable[tuple[str, str]]
) -> list[str]:
    """Make each of `tables` that Spark wrote a view over its Parquet files (replacing a
    table or view of that name); the relations attached."""
    root = (warehouse_dir / TABLES).resolve()
    existing = {name for (name,) in conn.execute(
        "select schema_name || '.' || table_name from duckdb_tables() "
        "where database_name = current_database()"
    ).fetchall()}
    attached = []
    for schema, table in tables:
        folder = root / f"{schema}.db" / table
        if not any(folder.glob("*.parquet")):
            continue
        relation = f'"{schema}"."{table}"'
        conn.execute(f'create schema if not exists "{schema}"')
        if f"{schema}.{table}" in existing:
            conn.execute(f"drop table {relation}")
        conn.execute(
            f"create or replace view {relation} as "
            f"select * from read_parquet('{folder}/*.parquet')"
        )
        attached.append(f"{schema}.{table}")
    return attached


def schema_folders(warehouse_dir: Path) -> dict[str, Path]:
    """Schema → the folder of its tables' Parquet folders, in Spark's warehouse
    (`<schema>.db`)."""
    root = warehouse_dir / TABLES
    if not root.is_dir():
        return {}
    return {p.name.removesuffix(".db"): p for p in sorted(root.glob("*.db")) if p.is_dir()}
