"""The physical limit of ingestion: DuckDB's own `read_csv` / `read_json` of the same extract
files into a table of a database file, one table per entity, types auto-detected, no checks,
no quarantine, no load log (rows it cannot parse, such as those of GB 18030 files, which it
has no decoder for offline, are skipped: its rate counts the rows it read). Ingestion does
all of that on top, so it can only approach this.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import duckdb

from ingestion.loader import discover


def duckdb_read(landing_dir: Path, database: Path, *, as_of: date, threads: int | None,
                memory_limit: str | None, only: date | None = None) -> tuple[int, float]:
    """Rows read and seconds taken for every extract file dated ≤ `as_of` (with `only`, the
    files of that date alone: a night's)."""
    files = discover(landing_dir, as_of=as_of, dates=[only] if only else None)
    database.unlink(missing_ok=True)
    conn = duckdb.connect(str(database))
    if threads:
        conn.execute(f"set threads = {int(threads)}")
    if memory_limit:
        conn.execute(f"set memory_limit = '{memory_limit}'")
    rows = 0
    started = time.perf_counter()
    try:
        for entity in sorted({f.entity for f in files}, key=lambda e: e.label):
            paths = [str(f.path) for f in files if f.entity == entity]
            reader = (
                "read_csv(?, header = true, ignore_errors = true)"
                if entity.fmt == "csv"
                else "read_json(?, format = 'newline_delimited', ignore_errors = true)"
            )
            table = f"{entity.source}__{entity.name}"
            conn.execute(f"create table {table} as select * from {reader}", [paths])
            rows += conn.execute(f"select count(*) from {table}").fetchone()[0]
        seconds = time.perf_counter() - started
    finally:
        conn.close()
        database.unlink(missing_ok=True)
        Path(f"{database}.wal").unlink(missing_ok=True)
    return rows, seconds
