"""The one Dagster `Definitions` of the project: `dagster dev` in the repository root loads it
(pyproject.toml's [tool.dagster]); `cdp run` and the tests import `defs`.

Each module of orchestration/defs holds its part at module level (assets, checks, jobs, the
schedule, the sensor; the resources as a `Definitions`); `load_from_defs_folder` collects them
in one call (pyproject.toml's [tool.dg.project] names the folder). Loading them reads the
prepared dbt manifest and dbt_project.yml, nothing else: no dbt, no landing zone (the
partitions are the instance's, orchestration/defs/partitions.py). Under `dagster dev` only,
dagster-dbt first parses the dbt project when it changed, so a reload in the UI shows an
edited model.
"""

from pathlib import Path

import dagster as dg

from orchestration.lib.dbt.project import prepare_if_dev

prepare_if_dev()
defs = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
