"""`cdp run`: the nightly job, run in process through the Dagster definitions.

It makes every extract folder up to D a partition (orchestration/defs/partitions.py), works
out which extract dates have files not loaded yet and launches the `nightly` job once over
that range of partitions: ingestion, the inputs' quality gate, the build as
of D (one dbt build, the purchase model among its models), the published tables' gate and the
publish. A corrected date named with `--reload` gets an `ingest` run of its own first; with
nothing new to ingest the `build` job runs alone. It prints progress and ends with a short
summary: one line per entity, the dbt counts, customers (new, merged), lifecycle stages and
RFM segments, the gate's verdict, where the Data Docs and the published files are.

Exit codes: 0 published; 1 the quality gate refused to publish (one line per failed
expectation, naming table and expectation) or the dbt build failed (one line per failed
model or test); 2 an unreadable extract (one line per file, naming the line or the OS error;
the other files still load, nothing is built then), ingestion stopped by a build database it
cannot write (a full disk: one line naming the entity, files, database and error) or a bad
setting. A step that fails on an error of its own (not a Dagster Failure) is reported by the
innermost error (e.g. `[Errno 28] No space left on device: '…'`), not by Dagster's wrapper.
A folder under a source whose name is not an extract date is skipped with one warning line
on stderr naming it; it changes no exit code.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from datetime import date

import dagster as dg
import duckdb

from orchestration.cli import run_summary
from orchestration.cli.dagster_home import prepare_dagster_home
from orchestration.lib import run_lock
from cdp.settings import Settings
from ingestion import warehouse
from ingestion.loader import (
    EntityStats,
    check_reload_dates,
    discover,
    not_date_folders,
    pending_files,
    skipped_folder_warning,
)
from orchestration.lib.progress import PROGRESS_LOGGER

EXIT_OK = 0
EXIT_GATE_REFUSED = 1
EXIT_BUILD_FAILED = 1
EXIT_BAD_INPUT = 2
MAX_FAILURE_LINES = 20
QUIET_DAGSTER_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}

Say = Callable[[str], None]


@contextmanager
def _progress_shown() -> Iterator[None]:
    """Progress lines of the assets (logger `cdp.progress`) plainly on sys.stdout as the run
    starts (its steps run with sys.stdout hidden: _dbt_output_hidden), for the run alone: the
    logger is as it was afterwards, for the next run in this process and its own stdout."""
    logger = logging.getLogger(PROGRESS_LOGGER)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


@contextmanager
def _dbt_output_hidden() -> Iterator[None]:
    """dagster-dbt echoes every dbt log line to sys.stdout (the UI keeps them as compute logs);
    `cdp run` shows its own progress lines instead (their handler holds the real stdout), and
    each dbt invocation keeps its full log in its target folder (dbt.log)."""
    with open(os.devnull, "w", encoding="utf-8") as sink, redirect_stdout(sink):
        yield


def _execute(
    job: dg.JobDefinition, *, as_of: date, ops: dict, dates: list[str] | None = None
) -> dg.ExecuteInProcessResult:
    from orchestration.defs.partitions import add_extract_dates
    from orchestration.lib.run_requests import run_tags

    instance = dg.DagsterInstance.get()
    if dates:  # a run over extract dates: they are partitions first
        add_extract_dates(instance, dates)
    with _dbt_output_hidden():
        return job.execute_in_process(
            instance=instance,
            tags={**run_tags(as_of, dates or []), **run_lock.run_tags()},
            run_config={**QUIET_DAGSTER_CONSOLE, "ops": ops},
            raise_on_error=False,
        )


def _ingest_config(*, reload: bool) -> dict:
    return {"landing_zone": {"config": {"reload": reload}}}


def _build_config(job: dg.JobDefinition, dbt_vars: str) -> dict:
    """The extra dbt vars for the job's dbt step; D travels as a run tag."""
    from orchestration.defs.dbt import OP_NAME

    if not dbt_vars:
        return {}
    return {
        name: {"config": {"vars": dbt_vars}}
        for name, node in job.graph.node_dict.items()
        if node.definition.name == OP_NAME
    }


def _step_failures(result: dg.ExecuteInProcessResult, step: str | None = None) -> list[str]:
    """The one-line messages of a failed step (any step when `step` is None): each unreadable
    file or failed dbt node, or the step's error."""
    lines = []
    for event in result.all_events:
        if event.event_type_value != "STEP_FAILURE" or step not in (None, event.step_key):
            continue
        data = event.step_failure_data
        user = data.user_failure_data
        metadata = user.metadata if user is not None else {}
        listed = next((metadata[k] for k in ("unreadable", "dbt_failures") if k in metadata), None)
        if listed is not None:
            lines.extend(str(listed.value).splitlines())
        elif user is not None and user.description:
            lines.append(user.description)
        elif data.error is not None:
            lines.append(_innermost(data.error))
        else:
            lines.append("the step failed (see the Dagster UI for details)")
    return lines


def _innermost(error) -> str:
    """The first line of the error at the bottom of a step error's causes (Dagster wraps what
    the step raised in "Error occurred while executing op ...")."""
    while error.cause is not None:
        error = error.cause
    lines = [line for line in error.message.strip().splitlines() if line.strip()]
    return lines[0] if lines else error.cls_name or "the step failed"


def _summary(results: list[dg.ExecuteInProcessResult]) -> list[str]:
    from orchestration.defs.ingestion import LOG_TABLES, landing_zone

    raw_keys = set(landing_zone.keys) - set(LOG_TABLES)  # the entities' tables
    latest: dict[str, EntityStats] = {}
    for result in results:
        for event in result.get_asset_materialization_events():
            mat = event.materialization
            if mat.asset_key not in raw_keys:
                continue
            metadata = {k: v.value for k, v in mat.metadata.items()}
            latest["/".join(mat.asset_key.path[1:])] = EntityStats(
                **{k: metadata[k] for k in ("files", "rows", "quarantined", "bytes", "seconds")}
            )
    lines = [f"  {latest[key].line(key)}" for key in sorted(latest) if latest[key].files]
    if lines:
        total = EntityStats(
            **{
                k: sum(getattr(s, k) for s in latest.values())
                for k in ("files", "rows", "quarantined", "bytes", "seconds")
            }
        )
        lines.append(f"  {total.line('all entities')}")
        if total.quarantined:
            lines.append("  quarantined rows (file, line, reason): table raw._quarantine")
    return lines


def run_nightly(
    settings: Settings,
    *,
    as_of: date,
    reload: list[date],
    say: Say,
    build: bool = True,
    dbt_vars: str = "",
) -> int:
    prepare_dagster_home(settings)
    with _progress_shown():
        return _run(settings, as_of=as_of, reload=reload, say=say, build=build, dbt_vars=dbt_vars)


def _run(
    settings: Settings, *, as_of: date, reload: list[date], say: Say, build: bool, dbt_vars: str
) -> int:
    from orchestration.definitions import defs
    from orchestration.defs.partitions import add_extract_dates, partition_dates
    from orchestration.defs.resources import Warehouse

    say(f"nightly run as of {as_of}: landing {settings.landing_dir}, warehouse {settings.warehouse_dir}")
    for folder in not_date_folders(settings.landing_dir):
        print(f"cdp run: warning: {skipped_folder_warning(folder)}", file=sys.stderr, flush=True)
    landed = discover(settings.landing_dir, as_of=as_of)
    newest = max((f.extract_date for f in landed), default=None)
    if newest is not None and newest < as_of:
        say(f"as of {as_of}: {(as_of - newest).days} day(s) after the newest extract folder ({newest})")
    try:
        with Warehouse(warehouse_dir=str(settings.warehouse_dir)).connect() as conn:
            pending = pending_files(conn, settings.landing_dir, as_of=as_of)
            check_reload_dates(conn, settings.landing_dir, reload)
    except (warehouse.WarehouseBusy, ValueError) as exc:
        print(f"cdp run: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (duckdb.Error, OSError) as exc:  # e.g. a full disk while opening it
        problem = " ".join(str(exc).split())
        print(f"cdp run: cannot open the build database in {settings.warehouse_dir}: {problem}",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    add_extract_dates(dg.DagsterInstance.get(), partition_dates(landed)[0])  # the folders ≤ D
    dates, beyond = partition_dates(pending)
    if beyond:
        say(f"skipped {len(beyond)} extract date(s) after today in Asia/Shanghai ({beyond[0]} ..)")
    ingest = defs.resolve_job_def("ingest")
    ingest_runs = []
    for day in sorted(d.isoformat() for d in set(reload)):
        say(f"reloading extract date {day}")
        ingest_runs.append(
            _execute(ingest, as_of=as_of, ops=_ingest_config(reload=True), dates=[day])
        )
    build_run = None
    if dates:
        say(f"ingesting {len(pending)} new file(s) for {len(dates)} extract date(s) {dates[0]} .. {dates[-1]}")
        # One `nightly` run ingests and builds; after an unreadable reloaded file, ingest only.
        together = build and all(r.success for r in ingest_runs)
        job = defs.resolve_job_def("nightly" if together else "ingest")
        ops = {**_ingest_config(reload=False), **(_build_config(job, dbt_vars) if together else {})}
        ingest_runs.append(_execute(job, as_of=as_of, ops=ops, dates=dates))
        build_run = ingest_runs[-1] if together else None
    elif not reload:
        say("nothing new to ingest")
    unreadable = [line for r in ingest_runs for line in _step_failures(r, "landing_zone")]
    if build and build_run is None and not unreadable:
        build_job = defs.resolve_job_def("build")
        build_run = _execute(build_job, as_of=as_of, ops=_build_config(build_job, dbt_vars))
    if build_run is None or unreadable:  # else the build's summary shows them (_build_report)
        for line in _summary(ingest_runs):
            say(line)
    if unreadable:  # nothing was built (the nightly run skips dbt after a failed ingestion)
        for line in unreadable:
            print(f"cdp run: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if build_run is None:
        return EXIT_OK
    code, failures = _build_report(build_run, _summary(ingest_runs), settings, as_of, say)
    for line in failures[:MAX_FAILURE_LINES]:
        print(f"cdp run: {line}", file=sys.stderr)
    if len(failures) > MAX_FAILURE_LINES:
        print(f"cdp run: ... and {len(failures) - MAX_FAILURE_LINES} more", file=sys.stderr)
    return code


def _build_report(
    result: dg.ExecuteInProcessResult,
    ingested: list[str],
    settings: Settings,
    as_of: date,
    say: Say,
) -> tuple[int, list[str]]:
    """Say the run's summary (the ingestion table, the dbt count line, the figures, the
    verdict); return the exit code and the failures (the gate's failed expectations when it
    refused)."""
    from orchestration.lib.dbt.build_log import build_summary
    from orchestration.defs.publish import GROUP as PUBLISHED_GROUP

    run = dg.DagsterInstance.get().get_run_by_id(result.run_id)
    line = build_summary(run.tags) if run is not None else None
    published_now = any(
        e.asset_key.path[0] == PUBLISHED_GROUP for e in result.get_asset_materialization_events()
    )
    say(f"summary as of {as_of}:")
    for row in ingested:
        say(row)
    if line:
        say(f"  {line}")
    for line in run_summary.figures(settings.warehouse_dir, as_of):
        say(f"  {line}")
    for line in run_summary.verdict(settings.warehouse_dir, result.run_id, published_now):
        say(f"  {line}")
    if result.success and published_now:
        return EXIT_OK, []
    if result.success:
        skipped = [
            event.step_key for event in result.all_events
            if event.event_type == dg.DagsterEventType.STEP_SKIPPED
        ]
        return EXIT_BUILD_FAILED, [
            f"nothing published: step {', '.join(skipped) or 'publish'} skipped, an asset it "
            "reads was not materialized (see the Dagster UI for the run's events)"
        ]
    refused = run_summary.gate_failures(result)
    if refused:
        return EXIT_GATE_REFUSED, [f"quality gate refused to publish: {line}" for line in refused]
    return EXIT_BUILD_FAILED, _step_failures(result) or [
        "the build run failed before dbt started (see the Dagster UI for details)"
    ]
