"""The Dagster definitions load, and the ingestion assets and sensor work on generated data."""

from __future__ import annotations

import duckdb
import dagster as dg
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from cdp.generate import generate
from ingestion.contracts import ENTITIES
from ingestion.loader import discover
from orchestration.definitions import defs
from orchestration.defs.ingestion import asset_key, landing_zone
from orchestration.defs.resources import LandingZone, Warehouse
from orchestration.defs.sensors import new_extract_folder


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated") / "landing"
    summary = generate(out, customers=200, days=6, seed=11)
    return out, summary


def resources(landing, tmp_path):
    return {
        "landing": LandingZone(landing_dir=str(landing)),
        "warehouse": Warehouse(warehouse_dir=str(tmp_path / "warehouse")),
    }


def raw_counts(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse" / "build.duckdb"), read_only=True) as conn:
        return {
            e.label: conn.execute(f"select count(*) from raw.{e.table}").fetchone()[0]
            for e in ENTITIES
        } | {"_loads": conn.execute("select count(*) from raw._loads").fetchone()[0]}


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)
    keys = defs.resolve_all_asset_keys()
    assert {asset_key(e) for e in ENTITIES} <= set(keys)
    assert defs.resolve_job_def("ingest").partitions_def is not None
    assert defs.resolve_sensor_def("new_extract_folder") is not None


def test_one_partition_loads_that_extract_date(generated, tmp_path):
    landing, summary = generated
    day = summary.first_date.isoformat()
    result = dg.materialize([landing_zone], partition_key=day, resources=resources(landing, tmp_path))
    assert result.success
    files = [f for f in discover(landing) if f.extract_date == summary.first_date]
    counts = raw_counts(tmp_path)
    assert counts["_loads"] == len(files) > 0
    assert counts["member/members"] > 0 and counts["wecom/external_contacts"] > 0
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == {asset_key(e) for e in ENTITIES}


def test_a_range_run_loads_everything_once(generated, tmp_path):
    landing, summary = generated
    tags = {
        ASSET_PARTITION_RANGE_START_TAG: summary.first_date.isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: summary.last_date.isoformat(),
    }
    first = dg.materialize([landing_zone], tags=tags, resources=resources(landing, tmp_path))
    assert first.success
    once = raw_counts(tmp_path)
    assert once["_loads"] == summary.files
    again = dg.materialize([landing_zone], tags=tags, resources=resources(landing, tmp_path))
    assert again.success
    assert raw_counts(tmp_path) == once
    rows = {
        e.asset_key: e.materialization.metadata["rows"].value
        for e in first.get_asset_materialization_events()
    }
    assert rows[asset_key(ENTITIES[1])] == once["miniprogram/orders"]


def test_an_unreadable_file_fails_the_step_and_names_file_and_line(generated, tmp_path):
    landing, summary = generated
    day = summary.last_date.isoformat()
    copy = tmp_path / "landing"
    for f in discover(landing, dates=[summary.last_date]):
        target = copy / f.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.path.read_bytes())
    (copy / "member" / day / "offline_orders.csv").write_text("order_id,member_id\nX1,M1\n")
    result = dg.materialize(
        [landing_zone], partition_key=day, resources=resources(copy, tmp_path), raise_on_error=False
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_failure_data.user_failure_data.description == (
        f"{copy / 'member' / day / 'offline_orders.csv'}, line 1: missing required column(s): "
        "store_id, order_status, paid_amount, paid_at, updated_at"
    )
    counts = raw_counts(tmp_path)
    assert counts["member/offline_orders"] == 0 and counts["member/members"] > 0


def test_sensor_requests_a_run_per_new_extract_date(generated, tmp_path):
    landing, summary = generated
    with dg.build_sensor_context(resources={"landing": LandingZone(landing_dir=str(landing))}) as ctx:
        first = new_extract_folder(ctx)
    days = sorted({f.extract_date.isoformat() for f in discover(landing)})
    assert [r.partition_key for r in first.run_requests] == days
    with dg.build_sensor_context(
        cursor=first.cursor, resources={"landing": LandingZone(landing_dir=str(landing))}
    ) as ctx:
        assert new_extract_folder(ctx).run_requests == []


def test_sensor_sees_a_new_folder_and_a_late_file(landing):
    def evaluate(cursor):
        resources = {"landing": LandingZone(landing_dir=str(landing.root))}
        with dg.build_sensor_context(cursor=cursor, resources=resources) as ctx:
            result = new_extract_folder(ctx)
        return [r.partition_key for r in result.run_requests], result.cursor

    landing.write("miniprogram", "2026-01-01", "events.jsonl", "{}\n")
    requested, cursor = evaluate(None)
    assert requested == ["2026-01-01"]
    landing.write("member", "2026-01-02", "members.csv", "member_id\n")
    requested, cursor = evaluate(cursor)
    assert requested == ["2026-01-02"]
    landing.write("wecom", "2026-01-01", "interactions.csv", "interaction_id\n")
    requested, cursor = evaluate(cursor)
    assert requested == ["2026-01-01"]
    assert evaluate(cursor)[0] == []
