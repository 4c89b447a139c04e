"""dbt as the tests call it directly on a DuckDB build database: dbt Core's programmatic entry
point (`dbtRunner`) in the test's own process, on the project and profile the nightly build
uses, in a target folder given the project's parse as the nightly build gives it
(orchestration/dbt_manifest.py `seed_partial_parse`).

In the test's process rather than as a `cdp-dbt` child: a run of the 19 models up to
`int_customers__orders` took 3.4-4.0 s of CPU here against 7.5-9.0 s in a process of its own,
whose start and imports of dbt cost about 4.5 s every time. The nightly build still runs dbt
in a process of its own (dagster-dbt's `DbtCliResource`); the tests that go through it
(`cdp run`, `run_nightly`) are unchanged.

dbt-duckdb keeps its database open from one invocation to the next in a process (its
`keep_open`). It is closed after each invocation here, so that the test can open the build
database itself, with settings of its own.

A Spark target's dbt runs in a process of its own (`dbt_process`), with its JVM, as the
Dagster dbt asset runs it."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt.cli.main import dbtRunner, dbtRunnerResult

from orchestration.dbt_manifest import (
    PROJECT_DIR,
    TELEMETRY_OFF,
    dbt_executable,
    seed_partial_parse,
)
from orchestration.lib.dbt.build_log import BuildProgress
from orchestration.lib.dbt.project import environ, manifest


def _settings(warehouse_dir: Path, environment: Mapping[str, str]) -> dict[str, str]:
    """A test's dbt: on the build database under `warehouse_dir`, no telemetry."""
    return {"CDP_WAREHOUSE_DIR": str(warehouse_dir), **TELEMETRY_OFF, **environment}


def _folders(target: Path) -> list[str]:
    """The project, its profile, and `target` for dbt's artifacts and log."""
    return [
        "--target-path", str(target), "--log-path", str(target),
        "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
    ]


def dbt(
    *args: str, warehouse_dir: Path, target: Path, environment: Mapping[str, str] = {}
) -> dbtRunnerResult:
    """`dbt <args>` on the build database under `warehouse_dir`, its artifacts and log in
    `target`, with `environment` set meanwhile (e.g. `CDP_AS_OF`). A failure fails the test
    with the nodes that failed and their messages."""
    with environ(_settings(warehouse_dir, environment)):
        seed_partial_parse(target, os.environ)
        try:
            result = dbtRunner().invoke([*args, "--quiet", *_folders(target)])
        finally:
            DuckDBConnectionManager.close_all_connections()
    assert result.success, f"dbt {' '.join(args)} failed: {failures(result, target)}"
    return result


def dbt_process(
    *args: str, warehouse_dir: Path, target: Path, environment: Mapping[str, str] = {}
) -> None:
    """`dbt <args>` as `dbt` does, but in a process of its own (`cdp-dbt`) started in
    `warehouse_dir`. A failure fails the test with the end of dbt's output."""
    values = {**os.environ, **_settings(warehouse_dir, environment)}
    done = subprocess.run(
        [dbt_executable(), *args, *_folders(target)],
        cwd=warehouse_dir, env=values, capture_output=True, text=True, check=False,
    )
    on = values.get("CDP_DBT_TARGET", "build")
    assert done.returncode == 0, f"dbt {' '.join(args)} on {on} failed:\n{done.stdout[-4000:]}"


def failures(result: dbtRunnerResult, target: Path) -> str:
    """What failed, in the nightly build's lines (`BuildProgress.finish`: the node and the
    first line of its message), from the run results dbt wrote; else the exception dbt raised
    before running any node."""
    if result.result is None or not (target / "run_results.json").exists():
        return repr(result.exception)
    run_results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    outcome = BuildProgress(manifest=manifest(), say=lambda line: None).finish(run_results, 1)
    return "\n".join(outcome.failures)
