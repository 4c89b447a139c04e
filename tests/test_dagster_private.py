"""The private Dagster and dagster-dbt APIs the project uses are all in
orchestration/lib/dagster_private.py, and each is still what it was written against: an
upgrade fails here, naming the symbol, rather than half-way through a night."""

from __future__ import annotations

import ast
import inspect
import subprocess
from importlib.metadata import version
from pathlib import Path

import dagster as dg
import dagster_dbt
from dagster_dbt.core import dbt_cli_invocation, dbt_event_iterator

from orchestration.dbt_manifest import dbt_executable
from orchestration.lib import dagster_private

ROOT = Path(__file__).resolve().parent.parent
PRIVATE_MODULE = "orchestration/lib/dagster_private.py"


def test_the_versions_are_those_the_module_was_checked_against():
    installed = {name: version(name) for name in dagster_private.PINNED}
    assert installed == dagster_private.PINNED, (
        "Dagster was upgraded: check every private API of orchestration/lib/dagster_private.py "
        "against the new version, then update PINNED"
    )


def test_no_other_module_imports_a_private_dagster_module():
    """`dagster._…` and `dagster_dbt.<private module>` only in the one module (the tests may
    reach into them to check it)."""
    found = []
    for package in ("cdp", "ingestion", "expectations", "orchestration", "tools"):
        for path in (ROOT / package).rglob("*.py"):
            if path.relative_to(ROOT).as_posix() == PRIVATE_MODULE:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [a.name for a in node.names] if isinstance(node, ast.Import)
                    else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                )
                found += [
                    f"{path.relative_to(ROOT)}:{node.lineno}: {name}"
                    for name in names
                    if name.startswith(("dagster._", "dagster_dbt.core", "dagster_dbt.asset"))
                ]
    assert found == []


def test_the_event_log_storage_builds_on_what_it_overrides():
    storage = dagster_private.SqliteEventLogStorage
    for name in ("_connect", "_initdb", "store_event", "store_event_batch", "_event_to_row",
                 "run_connection", "index_transaction", "_store_asset_event_tags",
                 "_store_asset_event", "conn_string_for_shard", "from_config_value", "wipe",
                 "dispose"):
        assert hasattr(storage, name), name
    for attribute in ("self._initialized_dbs", "self._db_lock"):  # set in __init__
        assert attribute in inspect.getsource(storage.__init__), attribute
    assert inspect.signature(storage._connect).parameters.keys() == {"self", "shard"}
    assert dg.DagsterEventType.ASSET_MATERIALIZATION in dagster_private.ASSET_EVENTS
    assert isinstance(dagster_private.SQLITE_BUSY_TIMEOUT_SECONDS, int)


def test_the_partition_range_tags_are_dagsters():
    assert dagster_private.ASSET_PARTITION_RANGE_START_TAG == "dagster/asset_partition_range_start"
    assert dagster_private.ASSET_PARTITION_RANGE_END_TAG == "dagster/asset_partition_range_end"


def test_a_check_spec_gets_a_description_and_keeps_the_rest():
    spec = dg.AssetCheckSpec("not_null", asset="a", blocking=True, metadata={"m": 1})
    described = dagster_private.with_description(spec, "`x` is never null")
    assert described.description == "`x` is never null"
    assert (described.name, described.asset_key, described.blocking, described.metadata) == (
        spec.name, spec.asset_key, spec.blocking, spec.metadata
    )


def test_the_dbt_resource_still_asks_dbt_for_its_version_where_we_override_it():
    overridden = dagster_dbt.DbtCliResource.__dict__["_cli_version"]
    assert "--version" in inspect.getsource(overridden.func)
    resource = dagster_private.DbtCoreCliResource(
        project_dir=str(ROOT / "dbt_project"), dbt_executable=dbt_executable()
    )
    assert str(resource._cli_version) == version("dbt-core")


def test_the_dbt_resource_builds_no_adapter_which_only_the_metadata_fetches_read():
    """dagster-dbt builds the adapter in `cli` and hands it to the invocation, whose row-count
    and column-metadata fetches (which the dbt assets never ask for) are its only readers."""
    assert "adapter = self._initialize_dbt_core_adapter(args)" in inspect.getsource(
        dagster_dbt.DbtCliResource.cli
    )
    readers = {
        name for name, function in inspect.getmembers(dbt_event_iterator, inspect.isfunction)
        if ".adapter" in inspect.getsource(function)
    } | {
        name for name, function in inspect.getmembers(
            dbt_event_iterator.DbtEventIterator, inspect.isfunction
        )
        if ".adapter" in inspect.getsource(function)
    }
    assert readers and all("fetch" in name or "metadata" in name or "row_count" in name
                           for name in readers), readers
    resource = dagster_private.DbtCoreCliResource(
        project_dir=str(ROOT / "dbt_project"), dbt_executable=dbt_executable()
    )
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_dagster_dbt_starts_dbt_with_its_module_subprocess(monkeypatch):
    """The run lock swaps the Popen of this module (orchestration/lib/run_lock.py)."""
    assert dbt_cli_invocation.subprocess is subprocess or hasattr(
        dbt_cli_invocation.subprocess, "Popen"
    )
    assert "subprocess.Popen(" in inspect.getsource(dbt_cli_invocation)

    class Marked(subprocess.Popen):
        pass

    monkeypatch.setattr(dbt_cli_invocation, "subprocess", dbt_cli_invocation.subprocess)
    assert dagster_private.replace_dbt_popen(Marked)
    assert dbt_cli_invocation.subprocess.Popen is Marked
    assert dbt_cli_invocation.subprocess.PIPE == subprocess.PIPE
