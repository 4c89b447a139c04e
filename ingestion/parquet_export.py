"""The raw tables as Parquet, for an engine other than DuckDB (so far Spark: README "Running
on Spark"). Ingestion loads the extracts into the build database's `raw` schema; this writes
each of its tables to `<folder>/<table>/part-0.parquet`, a folder Spark registers as the table
`raw.<table>` (dbt_project/macros/engine/raw_tables.sql)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb


def export_raw(conn: duckdb.DuckDBPyConnection, folder: Path) -> list[str]:
    """Write every table of the `raw` schema under `folder` (replacing what a previous export
    wrote there); the table names, sorted."""
    tables = [
        name for (name,) in conn.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' order by table_name"
        ).fetchall()
    ]
    for table in tables:
        target = folder / table
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        conn.execute(
            f'copy raw."{table}" to \'{target / "part-0.parquet"}\' (format parquet)'
        )
    return tables
