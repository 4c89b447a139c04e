"""The one Dagster `Definitions` of the project: `dagster dev` in the repository root loads it
(pyproject.toml's [tool.dagster]); `cdp run` and the tests import `defs`.

Each module of orchestration/defs adds its part (assets, checks, jobs, the schedule, the
sensor, resources); `load_from_defs_folder` collects them in one call (pyproject.toml's
[tool.dg.project] names the folder). Loading them reads the prepared dbt manifest and lists
the landing zone's extract folders for the partitions' first day (orchestration/defs/
partitions.py); nothing else runs. Under `dagster dev` only, dagster-dbt first parses the dbt
project when it changed, so a reload in the UI shows an edited model.
"""

from pathlib import Path

import dagster as dg

from orchestration.lib.dbt.project import prepare_if_dev

prepare_if_dev()
defs = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
