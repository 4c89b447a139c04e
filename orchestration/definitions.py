"""The one Dagster `Definitions` of the project: `dagster dev` in the repository root loads it."""

import dagster as dg

from orchestration.defs import (
    dbt,
    gate,
    ingestion,
    jobs,
    publish,
    resources,
    sensors,
)

defs = dg.Definitions.merge(
    resources.defs,
    ingestion.defs,
    dbt.defs,
    gate.defs,
    publish.defs,
    jobs.defs,
    sensors.defs,
)
