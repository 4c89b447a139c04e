"""Where the seconds of one `cdp run` went, from what the run itself recorded.

* the Dagster event log of the run (DAGSTER_HOME): each step's start and end;
* dbt's run_results.json of the run's build (beside the build database): dbt's own
  `elapsed_time`, and the purchase model's models' part of it;
* the gate report `<warehouse>/gate/<run id>.json`: the seconds of the inputs' suites and of
  the identity and published tables' suites.

Stages: `ingest` (the ingestion step), `gate` (every suite), `dbt` (dbt's elapsed time less
the purchase model's models), `model_fit` (the purchase model's two Python models in the dbt
build, from run_results.json), `publish` (the publish step less its suites) and
`overhead`: the rest of the wall time: starting Python and Dagster, dbt's start-up and
parse, events and bookkeeping.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.lib.dbt.build_log import build_seconds
from orchestration.lib.quality_gate import read_report

STAGES = ("ingest", "dbt", "model_fit", "gate", "publish", "overhead")
STEP_EVENTS = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
}


def step_spans(instance: dg.DagsterInstance, run_id: str) -> dict[str, tuple[float, float]]:
    """Each step's start and end (wall-clock epoch seconds)."""
    starts, spans = {}, {}
    for entry in instance.all_logs(run_id, of_type=STEP_EVENTS):
        event = entry.dagster_event
        if event.event_type == dg.DagsterEventType.STEP_START:
            starts[entry.step_key] = entry.timestamp
        elif entry.step_key in starts:
            spans[entry.step_key] = (starts[entry.step_key], entry.timestamp)
    return spans


def step_at(spans: dict[str, tuple[float, float]], epoch: float) -> str | None:
    """The step running at `epoch`; None between steps (start-up, Dagster's bookkeeping)."""
    return next((step for step, (a, b) in spans.items() if a <= epoch <= b), None)


def newest_run_spans(dagster_home: Path) -> tuple[dg.DagsterRun, dict[str, tuple[float, float]]]:
    """The newest run in `dagster_home` and its steps' spans."""
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        run = instance.get_runs(limit=1)[0]
        return run, step_spans(instance, run.run_id)


def run_stages(
    run: dg.DagsterRun,
    spans: dict[str, tuple[float, float]],
    warehouse_dir: Path,
    wall_s: float,
) -> dict[str, float]:
    """The stages of `run` (its steps' `spans`), which took `wall_s` end to end."""
    steps = {step: b - a for step, (a, b) in spans.items()}
    dbt_elapsed, model_fit = build_seconds(warehouse_dir)
    gate = (read_report(warehouse_dir, run.run_id) or {}).get("seconds", {})
    publish_gate = sum(s for kinds, s in gate.items() if kinds != "input")
    stages = {
        "ingest": steps.get("landing_zone", 0.0),
        "dbt": dbt_elapsed - model_fit,
        "model_fit": model_fit,
        "gate": sum(gate.values()),
        "publish": max(steps.get("publish", 0.0) - publish_gate, 0.0),
    }
    stages["overhead"] = max(wall_s - sum(stages.values()), 0.0)
    return {name: round(stages[name], 2) for name in STAGES}


def gate_query_seconds(warehouse_dir: Path, run_id: str) -> float:
    """Of the gate's seconds in run `run_id`, DuckDB's computing of the frames GX validated:
    the gate's floor."""
    report = read_report(warehouse_dir, run_id) or {}
    return round(sum(report.get("query_seconds", {}).values()), 2)
