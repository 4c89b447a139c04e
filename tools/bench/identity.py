"""`cdp bench identity`: the stitching step beside SciPy on the same edge list.

Generates (or reuses) a landing zone of N customers, ingests it and builds the identity graph
with dbt up to the kept edges, then founds the customer ids in a run as of the day before the
last extract date. Then, in this one process, it times on the graph as of the last date:

* SciPy: the identifier list and the kept edge list (identifier keys, as the graph holds
  them) read from DuckDB, numbered with `pandas.factorize`, and
  `scipy.sparse.csgraph.connected_components` on them: the script a team would write, and
  the reference of the target (stitching within 2x of it);
* ours: the stitching step as dbt runs it, edges in, customer ids out:
  `int_identity__customer_identifiers` (components and stable ids, Python) and
  `int_identity__customer_id_history` (the id history, SQL), each model's execution time as
  dbt reports it: the whole graph stitched (`--full-refresh`; a night only stitches the
  customers it touches, docs/incremental.md), with the ids held before kept and merged.

Medians of `repeats` runs are printed with the ratio.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from tools.generate import DEFAULT_END, generate
from ingestion import warehouse
from ingestion.loader import ingest
from orchestration.dbt_manifest import PROJECT_DIR, seed_partial_parse
from orchestration.lib.dbt.project import environ

GRAPH_MODELS = ("+int_identity__kept_edges", "+int_identity__identifiers")
STITCHING_MODELS = ("int_identity__customer_identifiers", "int_identity__customer_id_history")

Say = Callable[[str], None]


@dataclass(frozen=True)
class IdentityBench:
    customers: int
    identifiers: int
    edges: int
    components: int
    scipy_s: float
    stitching_s: float
    model_s: dict[str, float]

    @property
    def ratio(self) -> float:
        return self.stitching_s / self.scipy_s if self.scipy_s else float("inf")

    def lines(self) -> list[str]:
        models = ", ".join(f"{name} {s:.2f}s" for name, s in self.model_s.items())
        return [
            f"customers generated          {self.customers:>12,}",
            f"identifiers (graph nodes)    {self.identifiers:>12,}",
            f"kept edges                   {self.edges:>12,}",
            f"components (customers)       {self.components:>12,}",
            f"scipy (factorize + connected_components)  {self.scipy_s:7.2f}s median",
            f"our stitching step                        {self.stitching_s:7.2f}s median",
            f"  {models}",
            f"ratio ours / scipy                        {self.ratio:7.2f}x (target: at most 2x)",
        ]


def dbt_run(args: list[str], warehouse_dir: Path, as_of: str) -> dict[str, float]:
    """Run dbt in this process (its artifacts beside the warehouse, not in the project's
    target/, whose manifest the Dagster definitions read); each model's execution seconds.
    D travels as `CDP_AS_OF`, as in the nightly build, and the target starts from the
    project's parse: with no --vars of their own, the runs of each date reuse that parse
    instead of parsing the whole project again (orchestration/dbt_vars.py `split_vars`)."""
    from dbt.cli.main import dbtRunner

    target = (warehouse_dir / "dbt-target").resolve()
    with environ({"CDP_WAREHOUSE_DIR": str(warehouse_dir.resolve()), "CDP_AS_OF": as_of}):
        seed_partial_parse(target, os.environ)
        result = dbtRunner().invoke(
            [
                *args,
                "--quiet",
                "--project-dir", str(PROJECT_DIR),
                "--profiles-dir", str(PROJECT_DIR),
                "--target-path", str(target),
                "--log-path", str((warehouse_dir / "dbt-logs").resolve()),
            ]
        )
    if not result.success:
        raise RuntimeError(f"dbt {' '.join(args)} failed: {result.exception or result.result}")
    return {r.node.name: r.execution_time for r in result.result.results}


def stitch_whole_graph(warehouse_dir: Path, as_of: str) -> dict[str, float]:
    """Each stitching model's seconds for the whole graph as of a date: `--full-refresh`,
    since the incremental stitching, run again for a date it has done, stitches nothing."""
    return dbt_run(["run", "--select", *STITCHING_MODELS, "--full-refresh"], warehouse_dir, as_of)


def scipy_seconds(conn: duckdb.DuckDBPyConnection) -> tuple[float, int, int, int]:
    """SciPy on the graph as the script a team would write: seconds, nodes, edges, components."""
    started = time.perf_counter()
    keys = conn.sql("select identifier_key from intermediate.int_identity__identifiers").fetchnumpy()
    edges = conn.sql("select from_key, to_key from intermediate.int_identity__kept_edges").fetchnumpy()
    n_edges = len(edges["from_key"])
    codes, uniques = pd.factorize(
        np.concatenate([keys["identifier_key"], edges["from_key"], edges["to_key"]])
    )
    n_nodes = len(uniques)
    graph = coo_matrix(
        (np.ones(n_edges, dtype=np.int8), (codes[-2 * n_edges : -n_edges], codes[-n_edges:])),
        shape=(n_nodes, n_nodes),
    ).tocsr()
    count, _ = connected_components(graph, directed=False)
    return time.perf_counter() - started, n_nodes, n_edges, count


def bench_identity(
    customers: int, *, workdir: Path, days: int = 7, seed: int = 1, repeats: int = 3, say: Say
) -> IdentityBench:
    root = workdir / f"identity-{customers}-{days}d-seed{seed}"
    landing, warehouse_dir = root / "landing", root / "warehouse"
    last_day = DEFAULT_END
    day_before = (last_day - timedelta(days=1)).isoformat()
    if not (landing / "member").exists():
        say(f"generating {customers:,} customers x {days} days into {landing}")
        generate(landing, customers=customers, days=days, seed=seed, bad_row_rate=0, overwrite=True)
    else:
        say(f"reusing the landing zone {landing}")
    started = time.perf_counter()
    conn = warehouse.connect(warehouse.build_database(warehouse_dir))
    try:
        report = ingest(conn, landing, as_of=last_day)
    finally:
        conn.close()
    say(f"ingested {report.rows:,} new rows in {time.perf_counter() - started:.1f}s")
    started = time.perf_counter()
    dbt_run(["run", "--select", *GRAPH_MODELS, *STITCHING_MODELS], warehouse_dir, day_before)
    dbt_run(["run", "--select", *GRAPH_MODELS], warehouse_dir, last_day.isoformat())
    say(f"founded the ids as of {day_before} and built the graph as of {last_day} "
        f"in {time.perf_counter() - started:.1f}s")

    scipy_runs, ours_runs, per_model = [], [], {name: [] for name in STITCHING_MODELS}
    for attempt in range(1, repeats + 1):
        conn = duckdb.connect(str(warehouse.build_database(warehouse_dir)))
        try:
            seconds, n_nodes, n_edges, components = scipy_seconds(conn)
        finally:
            conn.close()
        scipy_runs.append(seconds)
        timings = stitch_whole_graph(warehouse_dir, last_day.isoformat())
        for name in STITCHING_MODELS:
            per_model[name].append(timings[name])
        ours_runs.append(sum(timings[name] for name in STITCHING_MODELS))
        say(f"run {attempt}/{repeats}: scipy {seconds:.2f}s, ours {ours_runs[-1]:.2f}s")
    return IdentityBench(
        customers=customers,
        identifiers=n_nodes,
        edges=n_edges,
        components=components,
        scipy_s=statistics.median(scipy_runs),
        stitching_s=statistics.median(ours_runs),
        model_s={name: statistics.median(values) for name, values in per_model.items()},
    )
