"""The raw tables as Parquet, for Spark (README "Running on Spark").

Ingestion validates the extracts and loads the rows that pass into the build database's
`raw` schema, whatever the engine. With `CDP_ENGINE=spark` the ingestion step then writes
each raw table to `<warehouse>/spark/raw/<table>/part-0.parquet`, the folder the dbt
project's on-run-start hook registers in Spark as the table `raw.<table>`
(dbt_project/macros/engine/parquet_tables.sql). Each table is written whole, replacing what
the previous export wrote: a reload replaces rows, so an appended file would not do.

`python -m ingestion.parquet_export <warehouse folder>` exports a build database's raw
tables by hand.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb

from ingestion import warehouse

RAW_FOLDER = Path("spark") / "raw"
"""Under the warehouse folder: where the raw tables' Parquet folders go."""


def export_raw(conn: duckdb.DuckDBPyConnection, warehouse_dir: Path) -> list[str]:
    """Write every table of the `raw` schema to `<warehouse_dir>/spark/raw/<table>/`; the
    tables written."""
    folder = (warehouse_dir / RAW_FOLDER).resolve()
    tables = [
        name for (name,) in conn.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' order by table_name"
        ).fetchall()
    ]
    for table in tables:
        target = folder / table
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        conn.execute(f"copy raw.\"{table}\" to '{target / 'part-0.parquet'}' (format parquet)")
    return tables


if __name__ == "__main__":
    warehouse_dir = Path(sys.argv[1])
    with duckdb.connect(str(warehouse.build_database(warehouse_dir))) as conn:
        print(f"{len(export_raw(conn, warehouse_dir))} raw tables written under "
              f"{warehouse_dir / RAW_FOLDER}")
