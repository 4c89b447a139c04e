"""The one Dagster `Definitions` of the project: `dagster dev` in the repository root loads it."""

import dagster as dg

from orchestration.defs import ingestion, resources, sensors

defs = dg.Definitions.merge(resources.defs, ingestion.defs, sensors.defs)
