"""The sensor that starts an ingestion run when a new extract folder (or a late file) lands.

Its cursor maps each extract date to the number of files seen for it; a date whose count
grows gets a run for that partition. Already-loaded files are skipped by the run itself, so
a repeated request is harmless.
"""


import json
from collections import Counter

import dagster as dg

from ingestion.loader import discover
from orchestration.defs.ingestion import ingest_job
from orchestration.defs.partitions import extract_dates
from orchestration.defs.resources import LandingZone


@dg.sensor(job=ingest_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED)
def new_extract_folder(context: dg.SensorEvaluationContext, landing: LandingZone):
    seen: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
    counts = Counter(f.extract_date.isoformat() for f in discover(landing.path))
    valid = set(extract_dates.get_partition_keys())
    requests = [
        dg.RunRequest(partition_key=day, run_key=f"{day}:{count}")
        for day, count in sorted(counts.items())
        if count > seen.get(day, 0) and day in valid
    ]
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(dict(sorted(counts.items()))))


defs = dg.Definitions(sensors=[new_extract_folder])
