"""The tags of a `nightly` or `build` run, and the `nightly` run the schedule and the sensor
request: as of D, over the extract dates with files not loaded yet, unless a `cdp` command
holds the warehouse's run lock. The request makes every extract folder up to D a partition
first (orchestration/defs/partitions.py), and D itself when nothing is pending."""

from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from ingestion.loader import discover, pending_files
from ingestion.warehouse import has_table
from orchestration.defs.partitions import add_extract_dates, partition_dates
from orchestration.defs.resources import LandingZone, Warehouse
from orchestration.lib import run_lock
from orchestration.lib.as_of import AS_OF_TAG
from orchestration.lib.dagster_private import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
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
    instance: dg.DagsterInstance,
    landing: LandingZone,
    warehouse: Warehouse,
    as_of: date,
    run_key: str,
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
    dates = dates or [as_of.isoformat()]
    add_extract_dates(instance, [*partition_dates(discover(landing.path, as_of=as_of))[0], *dates])
    return dg.RunRequest(run_key=run_key, tags=run_tags(as_of, dates))
