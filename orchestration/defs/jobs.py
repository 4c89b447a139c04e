"""The jobs `cdp run` and the UI launch, and what starts them on their own.

- `build`: everything after ingestion as of the run's as-of date D: the inputs' quality
  gate, one `dbt build` of every model and data test (the purchase model's fit and scores are
  two of its Python models), then the publish step (the published tables' gate, then the
  publish).
- `nightly`: the ingestion of a range of extract dates first (one step loads every date of
  the range), then what `build` does.
- the schedule `nightly_at_two` (02:00 Asia/Shanghai) and the sensor `new_extract_folder`
  start `nightly` runs; both are off until turned on in the UI (or `dagster-daemon`).

D travels as the run tag `cdp/as_of` (orchestration/defs/as_of.py).
"""

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from cdp.settings import LOCAL_TIME_ZONE
from ingestion.loader import discover, pending_files
from ingestion.warehouse import has_table
from orchestration.defs.as_of import AS_OF_TAG
from orchestration.defs.dbt import dbt_models
from orchestration.defs.gate import input_gate
from orchestration.defs.ingestion import GROUP as INGESTION
from orchestration.defs.partitions import extract_dates, partition_dates
from orchestration.defs.publish import published
from orchestration.defs.resources import LandingZone, Warehouse
from orchestration.lib import run_lock
from orchestration.lib.dagster_private import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

BUILD = dg.AssetSelection.assets(dbt_models, published) | dg.AssetSelection.checks(input_gate)

build_job = dg.define_asset_job(
    "build",
    selection=BUILD,
    executor_def=dg.in_process_executor,
    description="Check the loaded inputs, dbt build every model and test, fit the purchase "
    "model, check the tables to publish and publish them, as of the run's as-of date.",
)

nightly_job = dg.define_asset_job(
    "nightly",
    selection=dg.AssetSelection.groups(INGESTION).without_checks() | BUILD,
    partitions_def=extract_dates,
    executor_def=dg.in_process_executor,
    description="Load the run's extract dates into the raw tables, then build and publish as "
    "the `build` job does (nothing is built when a file is unreadable or the inputs' gate "
    "refuses).",
)


def run_tags(as_of: date, dates: list[str]) -> dict[str, str]:
    """The tags of a nightly (`dates`: the extract dates to ingest) or build run as of D."""
    tags = {AS_OF_TAG: as_of.isoformat()}
    if dates:
        tags[ASSET_PARTITION_RANGE_START_TAG] = dates[0]
        tags[ASSET_PARTITION_RANGE_END_TAG] = dates[-1]
    return tags


def pending_dates(landing_dir: Path, build_database: Path, as_of: date) -> list[str] | None:
    """The extract dates ≤ D with files not loaded yet that are partitions; None when the
    build database is busy (a run is writing it)."""
    if build_database.exists():
        try:
            conn = duckdb.connect(str(build_database), read_only=True)
        except duckdb.IOException:
            return None
        with conn:
            has_log = has_table(conn, "raw._loads")
            files = pending_files(conn, landing_dir, as_of=as_of) if has_log else None
    else:
        files = None
    if files is None:
        files = discover(landing_dir, as_of=as_of)
    return partition_dates(files)[0]


def nightly_request(
    landing: LandingZone, warehouse: Warehouse, as_of: date, run_key: str
) -> dg.RunRequest | dg.SkipReason:
    """A `nightly` run as of D over the pending extract dates (just D when none is pending:
    its ingestion step then loads nothing and the rest builds and publishes as of D); none
    while a `cdp run`, `cdp backfill` or `cdp demo` holds the warehouse's run lock."""
    busy = run_lock.holder(warehouse.build_database.parent)
    if busy is not None:
        return dg.SkipReason(f"the warehouse is in use by {busy.describe()}")
    dates = pending_dates(landing.path, warehouse.build_database, as_of)
    if dates is None:
        return dg.SkipReason(f"{warehouse.build_database} is busy (a run is writing it)")
    return dg.RunRequest(run_key=run_key, tags=run_tags(as_of, dates or [as_of.isoformat()]))


@dg.schedule(
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    job=nightly_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every night at 02:00 Asia/Shanghai: the nightly run as of that day.",
)
def nightly_at_two(
    context: dg.ScheduleEvaluationContext, landing: LandingZone, warehouse: Warehouse
):
    as_of = context.scheduled_execution_time.astimezone(LOCAL_TIME_ZONE).date()
    return nightly_request(landing, warehouse, as_of, run_key=f"nightly-{as_of}")


defs = dg.Definitions(jobs=[build_job, nightly_job], schedules=[nightly_at_two])
