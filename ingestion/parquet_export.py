"""The raw tables as Parquet, for an engine other than DuckDB (so far Spark: README "Running
on Spark"). Ingestion loads the extracts into the build database's `raw` schema; this writes
each of its tables to `<folder>/<table>/part-0.parquet`, a folder Spark registers as the table
`raw.<table>` (dbt_project/macros/engine/raw_tables.sql).

`python -m ingestion.parquet_export <warehouse folder>` exports the build database's raw
tables to `<warehouse folder>/spark/raw` and prints the `--args` of
`dbt run-operation register_raw_tables`."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import duckdb

from ingestion import warehouse


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


def export_for_spark(warehouse_dir: Path) -> dict[str, object]:
    """Export the build database's raw tables to `<warehouse_dir>/spark/raw`; the `--args` of
    `dbt run-operation register_raw_tables` (the folder and the tables)."""
    folder = (warehouse_dir / "spark" / "raw").resolve()
    with duckdb.connect(str(warehouse.build_database(warehouse_dir)), read_only=True) as conn:
        tables = export_raw(conn, folder)
    return {"location": str(folder), "tables": tables}


if __name__ == "__main__":
    print(json.dumps(export_for_spark(Path(sys.argv[1]))))
