"""The nightly job: ingestion of a range of extract dates, then the dbt build, in one run.

Dagster runs the unpartitioned dbt step once after the partitioned ingestion step (a run
over a partition range loads every date of it in one step). The two halves also exist on
their own: `ingest` (the sensor's and backfills' job) and `build` (dbt only).
"""

import dagster as dg

from orchestration.defs.dbt import dbt_models
from orchestration.defs.ingestion import GROUP as INGESTION
from orchestration.defs.partitions import extract_dates

nightly_job = dg.define_asset_job(
    "nightly",
    selection=dg.AssetSelection.groups(INGESTION) | dg.AssetSelection.assets(dbt_models),
    partitions_def=extract_dates,
    executor_def=dg.in_process_executor,
    description="Load the run's extract dates into the raw tables, then dbt build every model "
    "and test as of the run's as_of date (skipped when a file is unreadable).",
)

defs = dg.Definitions(jobs=[nightly_job])
