"""Every use of Dagster's and dagster-dbt's private APIs, in one place.

The rest of the project imports only `dagster` and `dagster_dbt`'s public names; what they do
not offer is here, each with what it is for. tests/test_dagster_private.py pins the versions
these were written against and checks each symbol, so an upgrade fails there, by name, before
it fails half-way through a night:

- the run tags of a partition range (`cdp run`, the schedule and the sensor launch a
  `nightly` run over a range of extract dates; Dagster's backfills set the same tags);
- what the batched event log storage (orchestration/event_log.py) builds on: Dagster's SQLite
  event log storage, its table, its busy timeout, the asset event types and the log entry;
- a dbt test's check spec with a description (`AssetCheckSpec` has no public way to change
  one field);
- dbt Core's version from the installed package, not from `dbt --version` (a child process,
  ~1.5 s in every run: `DbtCliResource._cli_version`), and no dbt adapter in the Dagster
  process (`DbtCliResource._initialize_dbt_core_adapter`, ~2 s in every run);
- dagster-dbt's subprocess module, whose `Popen` starts dbt: the run lock makes those children
  die with `cdp` (orchestration/lib/run_lock.py).
"""

from __future__ import annotations

import subprocess
import types
from collections.abc import Sequence
from functools import cached_property
from importlib.metadata import version as package_version

import dagster as dg
from dagster._core.events import ASSET_EVENTS
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.schema import SqlEventLogStorageTable
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster_dbt import DbtCliResource
from packaging.version import Version

PINNED = {"dagster": "1.13.27", "dagster-dbt": "0.29.27"}
"""The versions whose private APIs this module was checked against (pyproject.toml pins the
same): an upgrade reads this module again, then changes these."""

__all__ = [
    "ASSET_EVENTS",
    "ASSET_PARTITION_RANGE_END_TAG",
    "ASSET_PARTITION_RANGE_START_TAG",
    "PINNED",
    "SQLITE_BUSY_TIMEOUT_SECONDS",
    "DbtCoreCliResource",
    "EventLogEntry",
    "SqlEventLogStorageTable",
    "SqliteEventLogStorage",
    "replace_dbt_popen",
    "with_description",
]


def with_description(spec: dg.AssetCheckSpec, description: str) -> dg.AssetCheckSpec:
    """The check spec with this description, every other field kept."""
    return spec._replace(description=description)


class DbtCoreCliResource(DbtCliResource):
    """dagster-dbt runs `dbt --version` (a child process, ~1.5 s) in every run to tell dbt
    Core from the Fusion engine; the dbt it runs here is the venv's own dbt Core, whose
    version the installed package states. It needs no dbt adapter in this process either."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(package_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        """No adapter: dagster-dbt builds one in this process for every `dbt` call (loading the
        project's macros and profile, ~2 s a night) only to fetch row counts and column
        metadata after the build, which the dbt assets do not ask for; the invocation takes
        None for it."""
        return None


def replace_dbt_popen(popen: type[subprocess.Popen]) -> bool:
    """Have dagster-dbt start dbt with `popen`: its invocation module gets a `subprocess`
    whose Popen is `popen` (dagster-dbt offers no hook for the child's start). False when the
    module is not there to patch."""
    try:
        from dagster_dbt.core import dbt_cli_invocation
    except ImportError:
        return False
    if not hasattr(dbt_cli_invocation, "subprocess"):
        return False
    shim = types.ModuleType("subprocess")
    shim.__dict__.update(subprocess.__dict__)
    shim.Popen = popen
    dbt_cli_invocation.subprocess = shim
    return True
