"""The batched SQLite event log records what Dagster's own records, in batches.

A partitioned multi-asset runs over a range of dates on two instances, one with Dagster's
`SqliteEventLogStorage`, one with ours; both must answer the same.
"""

from collections import Counter
from pathlib import Path

import dagster as dg
import pytest

from orchestration.cli.dagster_home import dagster_yaml
from orchestration.event_log import OPEN_DATABASES, BatchedSqliteEventLogStorage
from orchestration.lib.dagster_private import SqliteEventLogStorage

DATES = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-31")
KEYS = [dg.AssetKey(["raw", name]) for name in ("users", "orders", "events")]


CHECK = dg.AssetCheckKey(KEYS[0], "has_rows")
CHECKS_TABLE = "asset_check_executions"
"""Dagster's table of asset check evaluations in the index."""


@dg.multi_asset(
    specs=[dg.AssetSpec(key) for key in KEYS],
    check_specs=[dg.AssetCheckSpec(CHECK.name, asset=CHECK.asset_key)],
    partitions_def=DATES,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def extracts(context: dg.AssetExecutionContext):
    for key in KEYS:
        yield dg.MaterializeResult(asset_key=key, metadata={"rows": len(key.path[-1])})
    yield dg.AssetCheckResult(asset_key=CHECK.asset_key, check_name=CHECK.name, passed=True)


JOB = dg.Definitions(
    assets=[extracts],
    jobs=[dg.define_asset_job("load", partitions_def=DATES, executor_def=dg.in_process_executor)],
).resolve_job_def("load")
RANGE = {"dagster/asset_partition_range_start": "2026-01-03",
         "dagster/asset_partition_range_end": "2026-01-27"}


def answers(instance: dg.DagsterInstance) -> dict:
    result = JOB.execute_in_process(instance=instance, tags=RANGE)
    assert result.success
    records = instance.get_records_for_run(result.run_id, limit=10_000).records
    latest = {key: instance.get_latest_materialization_event(key) for key in KEYS}
    return {
        "event types": Counter(r.event_log_entry.dagster_event_type for r in records),
        "partitions": {key: sorted(instance.get_materialized_partitions(key)) for key in KEYS},
        "latest": {
            key: (e.dagster_event.partition, e.asset_materialization.metadata["rows"].value)
            for key, e in latest.items()
        },
        "one partition": [
            r.partition_key
            for r in instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=KEYS[1], asset_partitions=["2026-01-10"]), limit=5
            ).records
        ],
        "check": [
            (r.run_id == result.run_id, r.status.value)
            for r in instance.event_log_storage.get_asset_check_execution_history(CHECK, limit=5)
        ],
        "planned by the run": [
            instance.get_latest_planned_materialization_info(key).run_id == result.run_id
            for key in KEYS
        ],
    }


def test_batched_event_log_records_what_dagsters_own_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "10000")
    home = tmp_path / "batched"
    home.mkdir()
    (home / "dagster.yaml").write_text(dagster_yaml(home), encoding="utf-8")
    batches = []
    with dg.instance_for_test() as plain, dg.DagsterInstance.from_config(str(home)) as batched:
        storage = batched.event_log_storage
        assert type(storage) is BatchedSqliteEventLogStorage
        assert not batched.nux_enabled and not batched.telemetry_enabled  # no pop-up, no calls
        store_batch = storage.store_event_batch

        def counted(events):
            batches.append(len(events))
            store_batch(events)

        monkeypatch.setattr(storage, "store_event_batch", counted)
        asked = Counter()
        ask_index = SqliteEventLogStorage.has_table

        def has_table(self, table_name):
            asked[self is storage, table_name] += 1
            return ask_index(self, table_name)

        monkeypatch.setattr(SqliteEventLogStorage, "has_table", has_table)
        expected, got = answers(plain), answers(batched)

    assert got == expected
    # Dagster asks for the checks' table at each check event: the index is asked once
    assert asked[True, CHECKS_TABLE] == 1 and asked[False, CHECKS_TABLE] > 1
    assert expected["event types"][dg.DagsterEventType.ASSET_MATERIALIZATION] == 3 * 25
    assert expected["partitions"][KEYS[0]][0] == "2026-01-03"
    assert expected["one partition"] == ["2026-01-10"]
    assert expected["planned by the run"] == [True, True, True]
    assert (True, "SUCCEEDED") in expected["check"]
    # the planned events of the run in one batch (the check's with them), each asset's 25
    # materializations in one
    assert sorted(batches) == [25, 25, 25, 76]
    assert (home / "history" / "runs" / "index.db").is_file()


def test_runs_beyond_the_open_connections_are_all_recorded(tmp_path: Path):
    """Six runs, four connections kept open: the older runs' are closed, nothing is lost."""
    home = tmp_path / "batched"
    home.mkdir()
    (home / "dagster.yaml").write_text(dagster_yaml(home), encoding="utf-8")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = [JOB.execute_in_process(instance=instance, tags=RANGE).run_id for _ in range(6)]
        assert len(instance.event_log_storage._engines) == OPEN_DATABASES
        for run_id in runs:
            assert instance.get_run_by_id(run_id).is_success
            logged = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
            assert len(logged) == 75
        assert len(instance.fetch_materializations(KEYS[2], limit=1000).records) == 6 * 25
        instance.wipe()
        assert not instance.get_runs()
        assert not instance.fetch_materializations(KEYS[2], limit=10).records
