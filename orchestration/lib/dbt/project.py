"""The dbt project as dagster-dbt sees it, and the environment dbt runs in.

The definitions read the project's manifest (dbt_project/target/manifest.json) and never
parse the project on import: `cdp` (run, backfill, demo, ui, bench), the tests and
`make manifest` prepare it first (orchestration/dbt_manifest.py). Under `dagster dev`,
orchestration/definitions.py has dagster-dbt parse it when the project changed
(`prepare_if_dev`), so a reload in the UI shows an edited model.
"""

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from dagster_dbt import DbtProject

from orchestration.dbt_manifest import MANIFEST, PROJECT_DIR, ManifestError, dbt_executable

DBT_PROJECT = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)


@contextmanager
def environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a call (DbtCliResource and dagster-dbt's
    preparer hand dbt a copy of os.environ)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def prepare_if_dev() -> None:
    """Under `dagster dev`, dagster-dbt parses the project on every load; its preparer runs
    `dbt` from PATH, which need not hold the venv's bin folder (`.venv/bin/dagster dev`,
    `cdp ui`). Elsewhere nothing."""
    if not DBT_PROJECT.preparer.using_dagster_dev():
        return
    venv_bin = str(Path(dbt_executable()).parent)
    with environ({"PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")])}):
        DBT_PROJECT.prepare_if_dev()


def manifest_path() -> Path:
    """The prepared manifest, which the dbt assets are built from."""
    if not MANIFEST.exists():
        raise ManifestError(
            f"no dbt manifest at {MANIFEST}: run `make manifest` (or any `cdp` command that "
            "loads the definitions) before loading them"
        )
    return Path(DBT_PROJECT.manifest_path)


@cache
def manifest() -> Mapping[str, Any]:
    """The prepared manifest, read once per process: the dbt assets and the publish step's
    tables come from it (the only file the definitions read)."""
    return json.loads(manifest_path().read_text(encoding="utf-8"))
