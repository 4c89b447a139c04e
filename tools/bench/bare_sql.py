"""The floor of a night's dbt build: the same SQL as one bare DuckDB script.

dbt's `run_results.json` of the night's build (beside the build database) holds each model's
compiled SQL as it ran: an incremental model's the night's increment. Run in the same order
on one DuckDB connection, each SQL model's query writes its rows to a temporary table (a
view stays a view), which is dropped at once: no hooks, no contracts, no tests, no
metadata, no transaction per model. The Python models (the stitching, the purchase model's
fit) are left out: their floors are SciPy's connected components and the fit alone.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb

from orchestration.lib.dbt.build_log import DBT_TARGET


def statements(warehouse_dir: Path) -> list[str]:
    """The night's SQL models' queries, in the order dbt ran them, each as a statement
    writing its rows to a temporary table (a temporary view for a view)."""
    target = warehouse_dir / DBT_TARGET
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    nodes = json.loads((target / "manifest.json").read_text(encoding="utf-8"))["nodes"]
    found = []
    for result in results:
        node = nodes.get(result["unique_id"], {})
        if node.get("resource_type") != "model" or node.get("language") != "sql":
            continue
        if result["status"] != "success" or not result.get("compiled_code"):
            continue
        kind = "view" if node["config"]["materialized"] == "view" else "table"
        found.append(f"create temp {kind} floor_{len(found)} as {result['compiled_code']}")
    return found


def bare_sql_seconds(
    warehouse_dir: Path, database: Path, *, threads: int | None, memory_limit: str | None
) -> tuple[int, float]:
    """How many SQL models the night's build ran and the seconds their queries take as one
    bare DuckDB script on `database` (which it leaves as it was)."""
    script = statements(warehouse_dir)
    conn = duckdb.connect(str(database))
    try:
        if threads:
            conn.execute(f"set threads = {int(threads)}")
        if memory_limit:
            conn.execute(f"set memory_limit = '{memory_limit}'")
        started = time.perf_counter()
        for n, statement in enumerate(script):
            conn.execute(statement)
            conn.execute(f"drop {statement.split()[2]} floor_{n}")
        return len(script), time.perf_counter() - started
    finally:
        conn.close()
