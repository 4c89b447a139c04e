"""Where the seconds of one `cdp run` went, from what the run itself recorded.

* the Dagster event log of the run (DAGSTER_HOME): each step's start and end;
* the run tags `cdp/dbt_build/<step>`: each dbt invocation's wall seconds and dbt's own
  `elapsed_time` from run_results.json;
* the gate report `<warehouse>/gate/<run id>.json`: the seconds of the inputs' suites and of
  the identity and published tables' suites.

Stages: `ingest` (the ingestion step), `gate` (every suite), `dbt` (dbt's elapsed time),
`model_fit` (the purchase model step), `publish` (the publish step less its suites) and
`overhead`: the rest of the wall time: starting Python and Dagster, dbt's start-up and
parse, events and bookkeeping.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg

from orchestration.defs.dbt import SUMMARY_TAG
from orchestration.defs.gate import read_report

STAGES = ("ingest", "dbt", "model_fit", "gate", "publish", "overhead")
STEP_EVENTS = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
}


def step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    starts, seconds = {}, {}
    for entry in instance.all_logs(run_id, of_type=STEP_EVENTS):
        event = entry.dagster_event
        if event.event_type == dg.DagsterEventType.STEP_START:
            starts[entry.step_key] = entry.timestamp
        elif entry.step_key in starts:
            seconds[entry.step_key] = entry.timestamp - starts[entry.step_key]
    return seconds


def run_stages(dagster_home: Path, warehouse_dir: Path, wall_s: float) -> dict[str, float]:
    """The stages of the newest run in `dagster_home`, which took `wall_s` end to end."""
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        run = instance.get_runs(limit=1)[0]
        steps = step_seconds(instance, run.run_id)
    builds = [json.loads(v) for k, v in run.tags.items() if k.startswith(f"{SUMMARY_TAG}/")]
    gate = (read_report(warehouse_dir, run.run_id) or {}).get("seconds", {})
    publish_gate = sum(s for kinds, s in gate.items() if kinds != "input")
    stages = {
        "ingest": steps.get("landing_zone", 0.0),
        "dbt": sum(b.get("dbt_elapsed", 0.0) for b in builds),
        "model_fit": steps.get("purchase_model", 0.0),
        "gate": sum(gate.values()),
        "publish": max(steps.get("publish", 0.0) - publish_gate, 0.0),
    }
    stages["overhead"] = max(wall_s - sum(stages.values()), 0.0)
    return {name: round(stages[name], 2) for name in STAGES}
