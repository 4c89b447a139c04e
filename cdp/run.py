"""`cdp run`: the nightly job, run in process through the Dagster definitions.

It works out which extract dates have files not loaded yet, launches the `ingest` job once
over that range of daily partitions (a corrected date named with `--reload` gets a run of
its own first), prints progress, and ends with a short summary per entity.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import date

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from cdp.settings import Settings
from ingestion import warehouse
from ingestion.loader import EntityStats, check_reload_dates, pending_files
from orchestration.defs.ingestion import PROGRESS_LOGGER

EXIT_OK = 0
EXIT_BAD_INPUT = 2
QUIET_DAGSTER_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}

Say = Callable[[str], None]


def _show_progress() -> None:
    """Progress lines of the assets (logger `cdp.progress`) on the console, plainly."""
    logger = logging.getLogger(PROGRESS_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("  %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _run_ingest(job: dg.JobDefinition, first: str, last: str, *, reload: bool) -> dg.ExecuteInProcessResult:
    return job.execute_in_process(
        instance=dg.DagsterInstance.get(),
        tags={ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last},
        run_config={**QUIET_DAGSTER_CONSOLE, "ops": {"landing_zone": {"config": {"reload": reload}}}},
        raise_on_error=False,
    )


def _failure(result: dg.ExecuteInProcessResult) -> list[str]:
    """The one-line messages of a failed run: each unreadable file, or the step's error."""
    lines = []
    for event in result.all_events:
        if event.event_type_value != "STEP_FAILURE":
            continue
        data = event.step_failure_data
        user = data.user_failure_data
        if user is not None and "unreadable" in user.metadata:
            lines.extend(str(user.metadata["unreadable"].value).splitlines())
        elif user is not None and user.description:
            lines.append(user.description)
        elif data.error is not None:
            lines.append(data.error.message.strip().splitlines()[-1])
    return lines or ["the run failed (see the Dagster UI for details)"]


def _summary(results: list[dg.ExecuteInProcessResult]) -> list[str]:
    latest: dict[str, EntityStats] = {}
    for result in results:
        for event in result.get_asset_materialization_events():
            mat = event.materialization
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


def run_nightly(settings: Settings, *, as_of: date, reload: list[date], say: Say) -> int:
    from orchestration.definitions import defs
    from orchestration.defs.partitions import extract_dates
    from orchestration.defs.resources import Warehouse

    _show_progress()
    say(f"nightly run as of {as_of}: landing {settings.landing_dir}, warehouse {settings.warehouse_dir}")
    try:
        with Warehouse(warehouse_dir=str(settings.warehouse_dir)).connect() as conn:
            pending = pending_files(conn, settings.landing_dir, as_of=as_of)
            check_reload_dates(conn, settings.landing_dir, reload)
    except (warehouse.WarehouseBusy, ValueError) as exc:
        print(f"cdp run: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    valid = set(extract_dates.get_partition_keys())
    pending_dates = {f.extract_date.isoformat() for f in pending}
    dates = sorted(pending_dates & valid)
    beyond = sorted(pending_dates - valid)
    if beyond:
        say(f"skipped {len(beyond)} extract date(s) after tomorrow ({beyond[0]} ..): not partitions yet")
    job = defs.resolve_job_def("ingest")
    results = []
    for day in sorted(d.isoformat() for d in set(reload)):
        say(f"reloading extract date {day}")
        results.append(_run_ingest(job, day, day, reload=True))
    if dates:
        say(f"ingesting {len(pending)} new file(s) for {len(dates)} extract date(s) {dates[0]} .. {dates[-1]}")
        results.append(_run_ingest(job, dates[0], dates[-1], reload=False))
    elif not reload:
        say("nothing new to ingest")
    failed = [r for r in results if not r.success]
    for line in _summary(results):
        say(line)
    if failed:
        for line in _failure(failed[0]):
            print(f"cdp run: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK
