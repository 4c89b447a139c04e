"""The jobs `cdp run` and the UI launch.

- `build`: everything after ingestion as of the run's as-of date D: the inputs' quality
  gate, one `dbt build` of every model and data test (the purchase model's fit and scores are
  two of its Python models), then the publish step (the published tables' gate, then the
  publish).
- `nightly`: the ingestion of a range of extract dates first (one step loads every date of
  the range), then what `build` does. The schedule (schedules.py) and the sensor (sensors.py)
  start it.

D travels as the run tag `cdp/as_of` (orchestration/lib/as_of.py).
"""

import dagster as dg

from orchestration.defs import dbt, gate, publish
from orchestration.defs.ingestion import GROUP as INGESTION
from orchestration.defs.partitions import extract_dates

# The modules, not their definitions, are imported: the loader (orchestration/definitions.py)
# takes every definition a module holds, and one imported here would be listed twice.
BUILD = dg.AssetSelection.assets(dbt.dbt_models, publish.published) | dg.AssetSelection.checks(
    gate.input_gate
)

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
