"""The jobs `cdp run` and the UI launch: `nightly` (ingest, then build) and `build`.

`build` is everything after ingestion as of the run's as_of date: the dbt models up to the
qualifying orders, the purchase model asset, then the dbt models that read its tables. Dagster
splits the one dbt multi-asset into two steps around the purchase model (a `dbt build` each),
so the graph has no cycle. `nightly` adds the ingestion of a range of extract dates first:
Dagster runs the unpartitioned steps once after the partitioned ingestion step (a run over a
partition range loads every date of it in one step). Ingestion alone is the `ingest` job.
"""

import dagster as dg

from orchestration.defs.dbt import dbt_models
from orchestration.defs.ingestion import GROUP as INGESTION
from orchestration.defs.partitions import extract_dates
from orchestration.defs.purchase_model import purchase_model

BUILD = dg.AssetSelection.assets(dbt_models, purchase_model)

build_job = dg.define_asset_job(
    "build",
    selection=BUILD,
    executor_def=dg.in_process_executor,
    description="dbt build every model and test, and fit the purchase model, as of the run's "
    "as_of date.",
)

nightly_job = dg.define_asset_job(
    "nightly",
    selection=dg.AssetSelection.groups(INGESTION) | BUILD,
    partitions_def=extract_dates,
    executor_def=dg.in_process_executor,
    description="Load the run's extract dates into the raw tables, then build as the `build` "
    "job does (skipped when a file is unreadable).",
)

defs = dg.Definitions(jobs=[build_job, nightly_job])
