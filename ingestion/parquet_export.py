"""Tables of the build database as Parquet, for an engine other than DuckDB (so far Spark:
README "Running on Spark"). Ingestion loads the extracts into the build database's `raw`
schema; this writes each of its tables, and the tables of the models named (those that do not
run on Spark yet, built by DuckDB), to `<folder>/<schema>/<table>/part-0.parquet`, a folder
Spark registers as the table `<schema>.<table>` (dbt_project/macros/engine/parquet_tables.sql).

`python -m ingestion.parquet_export <warehouse folder> [<schema>.<table> ...]` exports the
build database's raw tables and those tables to `<warehouse folder>/spark` and prints the
`--args` of `dbt run-operation register_parquet_tables`."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

import duckdb

from ingestion import warehouse


def export_tables(conn: duckdb.DuckDBPyConnection, folder: Path, tables: Iterable[str]) -> list[str]:
    """Write every table of the `raw` schema and the `<schema>.<table>`s named under `folder`
    (replacing what a previous export wrote there); their qualified names, raw ones first."""
    raw = [
        f"raw.{name}" for (name,) in conn.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' order by table_name"
        ).fetchall()
    ]
    exported = [*raw, *tables]
    for table in exported:
        schema, name = table.split(".", 1)
        target = folder / schema / name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        conn.execute(f'copy "{schema}"."{name}" to \'{target / "part-0.parquet"}\' (format parquet)')
    return exported


def export_for_spark(warehouse_dir: Path, tables: Iterable[str] = ()) -> dict[str, object]:
    """Export the build database's raw tables and `tables` (`<schema>.<table>`) to
    `<warehouse_dir>/spark`; the `--args` of `dbt run-operation register_parquet_tables` (the
    folder and the tables)."""
    folder = (warehouse_dir / "spark").resolve()
    with duckdb.connect(str(warehouse.build_database(warehouse_dir)), read_only=True) as conn:
        exported = export_tables(conn, folder, tables)
    return {"location": str(folder), "tables": exported}


if __name__ == "__main__":
    print(json.dumps(export_for_spark(Path(sys.argv[1]), sys.argv[2:])))
