"""The sensor that starts the nightly run when a new extract folder (or a late file) lands.

Its cursor maps each extract date to the number of files seen for it. When a date appears or
its count grows, it requests a `nightly` run as of the newest extract date in the landing
zone (every pending date up to it is ingested by that run; files already loaded are skipped;
a late file for an old date never makes the published tables go back in time), so the new
data is checked and published without waiting for the 02:00 schedule; the request makes the
new folders partitions (orchestration/defs/partitions.py). A date after today (not a partition
yet) waits. A folder whose name is not an extract date is skipped: each
evaluation logs one warning naming it (docs/landing-zone.md). While a `cdp run`, `cdp backfill`
or `cdp demo` holds the warehouse's run lock (orchestration/lib/run_lock.py) it waits too: its run ingests
the new files, and the next tick sees what is left.
"""

import json
from collections import Counter
from datetime import date

import dagster as dg

from ingestion.loader import discover, not_date_folders, skipped_folder_warning
from orchestration.defs import jobs
from orchestration.defs.partitions import partition_dates
from orchestration.defs.resources import LandingZone, Warehouse
from orchestration.lib.run_requests import nightly_request


@dg.sensor(
    job=jobs.nightly_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def new_extract_folder(
    context: dg.SensorEvaluationContext, landing: LandingZone, warehouse: Warehouse
):
    seen: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
    for folder in not_date_folders(landing.path):
        context.log.warning(skipped_folder_warning(folder))
    files = discover(landing.path)
    valid = set(partition_dates(files)[0])
    counts = Counter(f.extract_date.isoformat() for f in files if f.extract_date.isoformat() in valid)
    grown = sorted(day for day, count in counts.items() if count > seen.get(day, 0))
    if not grown:
        return dg.SkipReason("no new extract file")
    as_of = date.fromisoformat(max(counts))
    request = nightly_request(
        context.instance, landing, warehouse, as_of, run_key=f"{as_of}:{sum(counts.values())}"
    )
    if isinstance(request, dg.SkipReason):
        return request  # busy: the cursor stays, the next tick tries again
    return dg.SensorResult(run_requests=[request], cursor=json.dumps(dict(sorted(counts.items()))))
