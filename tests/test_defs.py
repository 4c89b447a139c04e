"""The Dagster definitions load (ingestion, the dbt models, the jobs: one lineage graph), and the
ingestion assets and sensor work on generated data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import dagster as dg
import pytest

from tools.generate import generate
from ingestion.contracts import ENTITIES, SOURCES, entity
from ingestion.loader import discover
from orchestration.definitions import defs
from orchestration.defs.dbt import dbt_models
from orchestration.defs.ingestion import LOG_TABLES, landing_zone
from orchestration.defs.partitions import add_extract_dates, extract_dates, partition_dates
from orchestration.defs.gate import input_gate
from orchestration.defs.schedules import nightly_at_two
from orchestration.defs.publish import RESTRICTED, TABLES, published, published_key
from expectations.published import SUITES
from orchestration.defs.resources import LandingZone, Spark, Warehouse
from orchestration.defs.sensors import new_extract_folder
from orchestration.lib.as_of import AS_OF_TAG
from orchestration.lib.asset_keys import asset_key
from orchestration.lib.dagster_private import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from orchestration.lib.dbt.project import DBT_PROJECT
from orchestration.lib.dbt.translator import LAYERS, CdpDbtTranslator


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated") / "landing"
    summary = generate(out, customers=200, days=6, seed=11)
    return out, summary


def instance(*days) -> dg.DagsterInstance:
    """An instance whose extract-date partitions are `days` (`cdp run` adds them)."""
    ephemeral = dg.DagsterInstance.ephemeral()
    add_extract_dates(ephemeral, [str(day) for day in days])
    return ephemeral


def resources(landing, tmp_path):
    return {
        "landing": LandingZone(landing_dir=str(landing)),
        "warehouse": Warehouse(warehouse_dir=str(tmp_path / "warehouse")),
        "spark": Spark(),
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
    # each definition once, though a defs module may use another's
    assert sorted(job.name for job in defs.jobs) == ["build", "ingest", "nightly"]
    assert len(list(defs.assets)) == len({id(a) for a in defs.assets}) == 3


def test_dbt_models_are_assets_grouped_by_layer_with_their_tests_as_checks():
    graph = defs.resolve_asset_graph()
    models = set(dbt_models.keys)
    assert dg.AssetKey(["staging", "stg_member__members"]) in models
    for key in models:
        assert key.path[0] in LAYERS and graph.get(key).group_name == key.path[0]
    checks = dbt_models.check_keys
    assert checks and {c.asset_key for c in checks} <= models
    assert graph.asset_check_keys >= checks


def test_dbt_sources_are_the_ingestion_assets_one_graph():
    graph = defs.resolve_asset_graph()
    models = set(dbt_models.keys)
    for e in ENTITIES:  # every entity feeds some model directly
        assert graph.get(asset_key(e)).child_keys & models, e.label
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text(encoding="utf-8"))
    translator = CdpDbtTranslator()
    for source in manifest["sources"].values():
        key = translator.get_asset_key(source)
        if source["source_name"] in SOURCES:
            assert key == asset_key(entity(f"{source['source_name']}/{source['name']}"))
        else:
            assert source["source_name"] == "ingestion" and key == dg.AssetKey(["raw", source["name"]])
    ingested = {asset_key(e) for e in ENTITIES}
    upstream = {p for key in models for p in graph.get(key).parent_keys} - models
    load_log = {dg.AssetKey(["raw", "_loads"]), dg.AssetKey(["raw", "_quarantine"])}
    assert upstream <= ingested | load_log


def test_the_purchase_model_is_two_models_of_the_one_dbt_build():
    graph = defs.resolve_asset_graph()
    orders = dg.AssetKey(["intermediate", "int_customers__qualifying_orders"])
    fit = dg.AssetKey(["intermediate", "int_purchase_model__parameters"])
    scores = dg.AssetKey(["intermediate", "int_purchase_model__predictions"])
    assert {fit, scores} <= set(dbt_models.keys)
    assert graph.get(fit).parent_keys == {orders}
    assert graph.get(scores).parent_keys == {orders, fit}
    assert {k.path[-1] for k in graph.get(fit).child_keys | graph.get(scores).child_keys} == {
        "int_purchase_model__predictions", "model_parameters", "customer_predictions",
    }


def test_jobs_ingest_build_and_nightly_resolve():
    nodes = {
        name: [n.name for n in defs.resolve_job_def(name).nodes_in_topological_order]
        for name in ("ingest", "build", "nightly")
    }
    assert nodes == {
        "ingest": ["landing_zone"],
        "build": ["input_gate", "dbt_models", "publish"],
        "nightly": ["landing_zone", "input_gate", "dbt_models", "publish"],
    }
    assert defs.resolve_job_def("nightly").partitions_def is not None
    assert defs.resolve_job_def("build").partitions_def is None


def test_one_partition_loads_that_extract_date(generated, tmp_path):
    landing, summary = generated
    day = summary.first_date.isoformat()
    result = dg.materialize(
        [landing_zone], partition_key=day, resources=resources(landing, tmp_path), instance=instance(day)
    )
    assert result.success
    files = [f for f in discover(landing) if f.extract_date == summary.first_date]
    counts = raw_counts(tmp_path)
    assert counts["_loads"] == len(files) > 0
    assert counts["member/members"] > 0 and counts["wecom/external_contacts"] > 0
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert materialized == {asset_key(e) for e in ENTITIES} | set(LOG_TABLES)


@pytest.mark.parametrize(
    ("environment", "ingesting", "other"),
    [
        ({"CDP_MEMORY_LIMIT": "2GB", "CDP_INGEST_MEMORY_LIMIT": "1GB"}, "1GB", "2GB"),
        ({"CDP_MEMORY_LIMIT": "2GB"}, "2GB", "2GB"),  # a lower limit holds for ingestion too
        ({}, "3GB", "4GB"),
    ],
)
def test_ingestion_connects_with_its_own_memory_limit(
    tmp_path, monkeypatch, environment, ingesting, other
):
    for name in ("CDP_MEMORY_LIMIT", "CDP_INGEST_MEMORY_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    def limit(conn: duckdb.DuckDBPyConnection) -> str:
        return conn.execute("select current_setting('memory_limit')").fetchone()[0]

    resource = Warehouse(warehouse_dir=str(tmp_path / "warehouse"))
    for is_ingesting, expected in ((True, ingesting), (False, other)):
        with resource.connect(ingesting=is_ingesting) as conn, duckdb.connect(
            config={"memory_limit": expected}
        ) as reference:
            assert limit(conn) == limit(reference), (environment, is_ingesting)


def test_a_range_run_loads_everything_once(generated, tmp_path):
    landing, summary = generated
    tags = {
        ASSET_PARTITION_RANGE_START_TAG: summary.first_date.isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: summary.last_date.isoformat(),
    }
    days = sorted({f.extract_date for f in discover(landing)})
    first = dg.materialize(
        [landing_zone], tags=tags, resources=resources(landing, tmp_path), instance=instance(*days)
    )
    assert first.success
    once = raw_counts(tmp_path)
    assert once["_loads"] == summary.files
    again = dg.materialize(
        [landing_zone], tags=tags, resources=resources(landing, tmp_path), instance=instance(*days)
    )
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
        [landing_zone],
        partition_key=day,
        resources=resources(copy, tmp_path),
        instance=instance(day),
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_failure_data.user_failure_data.description == (
        f"{copy / 'member' / day / 'offline_orders.csv'}, line 1: missing required column(s): "
        "store_id, order_status, paid_amount, paid_at, updated_at"
    )
    counts = raw_counts(tmp_path)
    assert counts["member/offline_orders"] == 0 and counts["member/members"] > 0


def _sensor(landing_dir, warehouse_dir, cursor=None, on=None):
    resources = {
        "landing": LandingZone(landing_dir=str(landing_dir)),
        "warehouse": Warehouse(warehouse_dir=str(warehouse_dir)),
    }
    with dg.build_sensor_context(
        cursor=cursor, resources=resources, instance=on or dg.DagsterInstance.ephemeral()
    ) as ctx:
        return new_extract_folder(ctx)


def _range(request: dg.RunRequest) -> tuple[str, str, str]:
    tags = request.tags
    return (
        tags[AS_OF_TAG],
        tags[ASSET_PARTITION_RANGE_START_TAG],
        tags[ASSET_PARTITION_RANGE_END_TAG],
    )


def test_sensor_requests_a_nightly_run_over_the_new_extract_dates(generated, tmp_path):
    landing, summary = generated
    first = _sensor(landing, tmp_path / "warehouse")
    days = sorted({f.extract_date.isoformat() for f in discover(landing)})
    [request] = first.run_requests
    assert _range(request) == (days[-1], days[0], days[-1])
    assert first.cursor
    again = _sensor(landing, tmp_path / "warehouse", cursor=first.cursor)
    assert isinstance(again, dg.SkipReason) or not again.run_requests


def test_sensor_sees_a_new_folder_and_a_late_file_never_going_back_in_time(landing, tmp_path):
    warehouse_dir = tmp_path / "warehouse"
    landing.write("miniprogram", "2026-01-01", "events.jsonl", "{}\n")
    result = _sensor(landing.root, warehouse_dir)
    assert _range(result.run_requests[0]) == ("2026-01-01", "2026-01-01", "2026-01-01")
    landing.write("member", "2026-01-02", "members.csv", "member_id\n")
    result = _sensor(landing.root, warehouse_dir, result.cursor)
    assert _range(result.run_requests[0])[0] == "2026-01-02"
    landing.write("wecom", "2026-01-01", "interactions.csv", "interaction_id\n")
    result = _sensor(landing.root, warehouse_dir, result.cursor)
    assert _range(result.run_requests[0])[0] == "2026-01-02"  # as of the newest date
    assert isinstance(_sensor(landing.root, warehouse_dir, result.cursor), dg.SkipReason)


def test_the_schedule_runs_the_nightly_job_at_two_in_shanghai(tmp_path, landing):
    schedule = defs.resolve_schedule_def("nightly_at_two")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.job_name == "nightly"
    landing.write("member", "2026-01-03", "members.csv", "member_id\n")
    resources = {
        "landing": LandingZone(landing_dir=str(landing.root)),
        "warehouse": Warehouse(warehouse_dir=str(tmp_path / "warehouse")),
    }
    at_two = datetime(2026, 1, 4, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with dg.instance_for_test() as at, dg.build_schedule_context(
        scheduled_execution_time=at_two, resources=resources, instance=at
    ) as ctx:
        request = nightly_at_two(ctx)
        assert at.get_dynamic_partitions("extract_dates") == ["2026-01-03"]
    assert isinstance(request, dg.RunRequest)
    assert _range(request) == ("2026-01-04", "2026-01-03", "2026-01-03")


def test_publish_copies_the_dbt_models_tagged_published_behind_blocking_checks():
    names = {table.name for table in TABLES}
    assert names >= {
        "customer_profile", "customer_rfm", "customer_lifecycle", "customer_churn_warning",
        "customer_tier", "customer_predictions", "model_parameters", "customer_tags",
        "customer_merges", "customer_replenishment", "customer_points", "customer_coupons",
        "mart_ltv_monthly", "customer_actions", "mart_action_outcomes", "wecom_tag_sync",
    }
    assert set(SUITES) <= names  # no gate suite outlives the table it checked
    graph = defs.resolve_asset_graph()
    for key in published.keys:
        assert graph.get(key).parent_keys == {dg.AssetKey(["marts", key.path[-1]])}
    specs = list(published.check_specs) + list(input_gate.check_specs)
    assert specs and all(spec.blocking for spec in specs)
    assert {spec.asset_key for spec in input_gate.check_specs} == {asset_key(e) for e in ENTITIES}
    restricted = {published_key(table) for table in RESTRICTED}
    assert restricted == {dg.AssetKey(["publish", "customer_contacts"])}
    assert {spec.asset_key for spec in published.check_specs} == set(published.keys) - restricted


def test_ingestion_assets_have_a_freshness_policy():
    graph = defs.resolve_asset_graph()
    for e in ENTITIES:
        assert graph.get(asset_key(e)).freshness_policy is not None


def test_the_lineage_reads_ingestion_staging_intermediate_marts_publish():
    order = {"ingestion": 0, "staging": 1, "intermediate": 2, "marts": 3, "publish": 4}
    graph = defs.resolve_asset_graph()
    groups = {key: graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert set(groups.values()) == set(order)  # no asset left in `default`
    backwards = [
        (parent.to_user_string(), key.to_user_string())
        for key in groups
        for parent in graph.get(key).parent_keys
        if order[groups[parent]] > order[groups[key]]
    ]
    assert backwards == []


def test_every_dbt_test_check_says_what_it_checks():
    descriptions = {spec.name: spec.description for spec in dbt_models.check_specs}
    assert descriptions and all(descriptions.values())
    direction = next(d for name, d in descriptions.items() if name.startswith("accepted_values_stg_wecom__interactions_direction"))
    assert direction == "`direction` is one of: inbound, outbound"
    parent = next(d for name, d in descriptions.items() if name.startswith("relationships_customer_rfm_customer_id"))
    assert parent == "every `customer_id` is a `customer_id` of `customer_profile`"


def test_the_partitions_are_the_extract_folders_in_date_order(landing):
    """Keys are added by what launches a run over them, kept in date order (a run over several
    dates is a range of partitions, an interval of that order), a late folder included."""
    at = dg.DagsterInstance.ephemeral()
    assert add_extract_dates(at, ["2026-03-02", "2026-03-05"]) == ["2026-03-02", "2026-03-05"]
    assert add_extract_dates(at, ["2026-03-05"]) == []
    assert add_extract_dates(at, ["2026-03-06", "2026-03-03"]) == ["2026-03-03", "2026-03-06"]
    keys = ["2026-03-02", "2026-03-03", "2026-03-05", "2026-03-06"]
    assert extract_dates.get_partition_keys(dynamic_partitions_store=at) == keys
    seen = []

    @dg.asset(partitions_def=extract_dates, backfill_policy=dg.BackfillPolicy.single_run())
    def dates(context) -> None:
        seen.extend(context.partition_keys)

    late = {ASSET_PARTITION_RANGE_START_TAG: "2026-03-03", ASSET_PARTITION_RANGE_END_TAG: "2026-03-06"}
    assert dg.materialize([dates], tags=late, instance=at).success
    assert seen == keys[1:]
    landing.write("member", "2026-03-03", "members.csv", "member_id\n")
    landing.write("member", "2099-01-01", "members.csv", "member_id\n")  # no partition yet
    assert partition_dates(discover(landing.root)) == (["2026-03-03"], ["2099-01-01"])


def test_loading_the_definitions_runs_nothing_and_reads_only_the_dbt_project(tmp_path):
    """Importing the definitions runs no dbt (no `dbt parse`) and opens nothing of the landing
    zone or the warehouse: of the dbt project, only the prepared manifest and its settings."""
    check = textwrap.dedent(
        """
        import sys
        touched = []
        def audit(event, args):
            if event in ("open", "os.listdir", "os.scandir", "subprocess.Popen", "os.exec",
                         "os.posix_spawn", "os.system"):
                touched.append((event, str(args[1] if event == "subprocess.Popen" else args[0])))
        sys.addaudithook(audit)
        import orchestration.definitions
        for event, path in touched:
            print(event, path)
        """
    )
    (tmp_path / "landing" / "member" / "2026-01-01").mkdir(parents=True)
    (tmp_path / "landing" / "member" / "2026-01-01" / "members.csv").write_text("member_id\n")
    env = {**os.environ, "CDP_LANDING_DIR": str(tmp_path / "landing"),
           "CDP_WAREHOUSE_DIR": str(tmp_path / "warehouse"), "DAGSTER_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    processes = ("subprocess.Popen", "os.exec", "os.posix_spawn", "os.system")
    assert not [line for line in lines if line.startswith(processes) and "dbt" in line]
    assert not [line for line in lines if str(tmp_path) in line]
    root = str(Path(__file__).resolve().parent.parent / "dbt_project")
    project = [line for line in lines if line.split(" ", 1)[1].startswith(root)]
    assert {Path(line.split(" ", 1)[1]).name for line in project} <= {
        "manifest.json", "dbt_project.yml"
    }, project
