"""The dbt assets on a small generated landing zone, through `cdp run`'s real path:
ingestion and `dbt build` in process through the Dagster definitions, real DuckDB, real dbt."""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dbt_in_process import dbt

from tools.generate import generate
from orchestration.cli.run import EXIT_OK, run_nightly
from cdp.settings import Settings, SettingsError
from orchestration.dbt_manifest import PARTIAL_PARSE, seed_partial_parse
from orchestration.definitions import defs
from orchestration.dbt_vars import build_vars, split_vars
from orchestration.defs.dbt import DbtBuildConfig
from orchestration.lib.as_of import AS_OF_TAG
from orchestration.lib.dbt.build_log import DBT_TARGET, BuildProgress
from orchestration.lib.dbt.project import DBT_PROJECT


def dbt_vars(config: DbtBuildConfig, *args):
    """The build's vars for the dbt step's config."""
    return build_vars(config.vars, *args)

COUNT_LINE = re.compile(r"dbt build: (\d+) models, (\d+) tests passed, 0 failed in [\d.]+s$")
LAYERS = ("staging", "intermediate", "marts")


def relation_counts(database: Path) -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as conn:
        names = conn.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            f"where table_schema in {LAYERS} order by 1"
        ).fetchall()
        return {n: conn.execute(f"select count(*) from {n}").fetchone()[0] for (n,) in names}


@pytest.fixture(scope="module")
def nightly(tmp_path_factory):
    """One nightly run as of the last extract date: it ingests and builds. (A second run of
    the same date, which finds nothing new and builds again, is tests/test_nightly.py's.)"""
    root = tmp_path_factory.mktemp("dbt_assets")
    summary = generate(root / "landing", customers=200, days=10, seed=7)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CDP_LANDING_DIR", str(root / "landing"))
        env.setenv("CDP_WAREHOUSE_DIR", str(root / "warehouse"))
        env.setenv("DAGSTER_HOME", str(root / "dagster"))
        env.delenv("CDP_AS_OF", raising=False)
        (root / "dagster").mkdir()
        settings = Settings.from_env()
        lines: list[str] = []
        code = run_nightly(settings, as_of=summary.last_date, reload=[], say=lines.append)
        counts = relation_counts(root / "warehouse" / "build.duckdb")
    return summary, root / "warehouse" / "build.duckdb", (code, lines, counts)


def test_first_run_ingests_then_builds_every_model(nightly):
    _, database, (code, lines, counts) = nightly
    assert code == EXIT_OK, lines
    built = [m for line in lines if (m := COUNT_LINE.search(line))]
    assert built, lines
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text(encoding="utf-8"))
    models = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]
    assert int(built[-1].group(1)) == len(models)  # the count line counts the seed as a model
    assert {f"{m['schema']}.{m['name']}" for m in models} <= set(counts)
    with duckdb.connect(str(database), read_only=True) as conn:
        tables = {
            name
            for (name,) in conn.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'staging' and table_type = 'BASE TABLE'"
            ).fetchall()
        }
        newest_members = conn.execute(
            "select count(distinct member_id) from raw.member__members where _extract_date = "
            "(select max(_extract_date) from raw.member__members)"
        ).fetchone()[0]
    staging = {m["name"] for m in models if m["schema"] == "staging"}
    assert staging and staging == tables
    assert counts["staging.stg_member__members"] == newest_members > 0
    for name in ("stg_miniprogram__orders", "stg_wecom__external_contacts", "stg_member__points_entries"):
        assert counts[f"staging.{name}"] > 0, name


def test_a_new_warehouse_starts_from_the_projects_parse(nightly, tmp_path):
    """The first night's dbt read the project's parse, stamped with the warehouse's profile
    (orchestration/dbt_manifest.py `seed_partial_parse`): no whole parse."""
    _, database, (code, lines, _) = nightly
    assert code == EXIT_OK, lines
    log = (database.parent / DBT_TARGET / "dbt.log").read_text(encoding="utf-8")
    assert re.search(r"^\S+  Found \d+ models, ", log, re.M), log[:2000]
    assert "Unable to do partial parsing" not in log
    # another adapter's target, or a target that has its own parse, is left as it is
    spark = {**os.environ, "CDP_WAREHOUSE_DIR": str(tmp_path), "CDP_DBT_TARGET": "spark"}
    assert not seed_partial_parse(tmp_path / "spark", spark)
    assert not (tmp_path / "spark" / PARTIAL_PARSE).exists()
    duck = {**os.environ, "CDP_WAREHOUSE_DIR": str(tmp_path), "CDP_DBT_TARGET": "build"}
    assert seed_partial_parse(tmp_path / "duckdb", duck)
    assert not seed_partial_parse(tmp_path / "duckdb", duck)


def test_an_unknown_as_of_is_a_one_line_failure(tmp_path, monkeypatch):
    monkeypatch.setenv("CDP_WAREHOUSE_DIR", str(tmp_path / "warehouse"))
    result = defs.resolve_job_def("build").execute_in_process(
        tags={AS_OF_TAG: "yesterday"},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    description = failure.step_failure_data.user_failure_data.description
    assert description == "run tag cdp/as_of: 'yesterday' is not a date (YYYY-MM-DD)"
    assert not (tmp_path / "warehouse").exists()


def test_vars_merge_over_as_of():
    settings = Settings.from_env({"CDP_WECOM_TAG_PREFIX": "私域-"})
    d = date(2026, 10, 31)
    fixed = {"as_of": "2026-10-31", "wecom_tag_prefix": "私域-", "last_published_as_of": ""}
    assert dbt_vars(DbtBuildConfig(), settings, d) == fixed
    config = DbtBuildConfig(vars='{identity_max_links: 5, as_of: "2026-10-29"}')
    assert dbt_vars(config, settings, d, date(2026, 10, 28)) == {
        **fixed,
        "as_of": "2026-10-29",
        "last_published_as_of": "2026-10-28",
        "identity_max_links": 5,
    }
    assert split_vars(dbt_vars(config, settings, d, date(2026, 10, 28))) == (
        {"wecom_tag_prefix": "私域-", "identity_max_links": 5},
        {"CDP_AS_OF": "2026-10-29", "CDP_LAST_PUBLISHED_AS_OF": "2026-10-28"},
    )
    assert split_vars(fixed)[1] == {"CDP_AS_OF": "2026-10-31", "CDP_LAST_PUBLISHED_AS_OF": ""}
    # a var at its default is not passed: dbt gives it the same value
    default_prefix = dbt_vars(DbtBuildConfig(vars="{identity_max_links: 3}"), Settings.from_env({}), d)
    assert split_vars(default_prefix)[0] == {}
    assert split_vars({**default_prefix, "identity_max_links": 3.5})[0] == {"identity_max_links": 3.5}
    assert dbt_vars(DbtBuildConfig(vars='{"qualifying_offline_statuses": ["paid"]}'), settings, d) == {
        **fixed,
        "qualifying_offline_statuses": ["paid"],
    }
    for bad, message in [
        ("[1, 2]", "is not a mapping"),
        ("{a: [", "not YAML or JSON"),
        ("{as_of: soon}", "vars: as_of: 'soon' is not a date"),
        ("{tier_gold_from: }", "vars: tier_gold_from: empty value (expected a number, default 1000)"),
        ("{no_such_var: 1}", "vars: unknown var 'no_such_var'"),
    ]:
        with pytest.raises(SettingsError, match=re.escape(message)):
            dbt_vars(DbtBuildConfig(vars=bad), settings, d)


def test_failures_are_one_line_each_naming_the_node():
    manifest = {
        "nodes": {
            "model.cdp.m": {"resource_type": "model", "schema": "marts", "name": "m", "alias": "m"},
            "test.cdp.t.1": {"resource_type": "test", "name": "unique_m_id"},
        },
        "unit_tests": {
            "unit_test.cdp.m.u": {"resource_type": "unit_test", "name": "u", "model": "m"},
        },
    }
    binder = (
        "Runtime Error in model m (models/marts/m.sql)\n"
        '  Binder Error: Referenced column "x" not found in FROM clause!\n  Candidate bindings: y'
    )
    unit = "\n\n\x1b[32mactual\x1b[0m differs from expected:\n..."
    results = {
        "results": [
            {"unique_id": "model.cdp.m", "status": "error", "message": binder},
            {"unique_id": "test.cdp.t.1", "status": "fail", "message": "Got 3 results, configured to fail if != 0"},
            {"unique_id": "unit_test.cdp.m.u", "status": "fail", "message": unit},
            {"unique_id": "test.cdp.t.2", "status": "warn", "message": "Got 1 result, configured to warn if != 0"},
            {"unique_id": "model.cdp.n", "status": "skipped", "message": None},
        ]
    }
    outcome = BuildProgress(manifest=manifest, say=print).finish(results, returncode=1)
    assert outcome.failures == [
        'model marts.m: Binder Error: Referenced column "x" not found in FROM clause!',
        "test unique_m_id: Got 3 results, configured to fail if != 0",
        "unit test m::u: actual differs from expected:",
    ]
    assert re.fullmatch(
        r"dbt build: 0 models, 0 tests passed, 1 warned, 3 failed, 1 skipped in [\d.]+s", outcome.line
    )


def test_identity_on_generated_extracts_gives_one_customer_per_identifier(nightly):
    _, database, (code, _, _) = nightly
    assert code == EXIT_OK
    with duckdb.connect(str(database), read_only=True) as conn:
        def one(sql: str):
            return conn.execute(sql).fetchone()

        stats = one(
            "select customers, identifiers, identifiers_in_several_customers, shared_identifiers,"
            " invalid_mobiles, blocklisted_values from marts.identity_graph_stats"
        )
        customers, identifiers, in_several, shared, invalid, blocklisted = stats
        assert in_several == 0 and 0 < customers < identifiers
        assert shared > 0 and invalid > 0 and blocklisted > 0  # the generator plants each
        assert one("select count(*), count(distinct customer_id) from marts.customer_profile") == (
            customers, customers
        )
        # stitching joined systems: some customers span two or three of them
        assert one("select count(*) from marts.customer_profile where len(sources) > 1")[0] > 0
        # every qualifying order belongs to a customer, and the totals add up
        assert one(
            "select count(*) from intermediate.int_customers__orders where is_qualifying and customer_id is null"
        ) == (0,)
        profile_orders, qualifying = one(
            "select (select sum(order_count) from marts.customer_profile),"
            " (select count(*) from intermediate.int_customers__orders where is_qualifying)"
        )
        assert profile_orders == qualifying > 0
        # no raw mobile number in the profile
        assert one(
            "select count(*) from marts.customer_profile where regexp_matches("
            "concat_ws(',', name_masked, mobile_masked, unionid), '1[3-9][0-9]{9}')"
        ) == (0,)
        # nothing was merged in a first build
        assert one("select count(*) from marts.customer_merges") == (0,)


def test_the_customer_marts_agree_with_each_other(nightly):
    _, database, _ = nightly
    with duckdb.connect(str(database), read_only=True) as conn:
        def one(sql: str):
            return conn.execute(sql).fetchone()[0]

        joined = one("select count(*) from marts.customer_lifecycle")
        assert joined > 0
        assert one("select count(*) from marts.customer_tier") == joined
        for group in ("lifecycle", "journey_stage", "value_tier"):
            assert one(f"select count(*) from marts.customer_tags where tag_group = '{group}'") == joined
        assert one("select count(*) from marts.customer_tags where tag_group = 'churn_risk'") == one(
            "select count(*) from marts.customer_churn_warning"
        )
        buyers_in_window = one(
            "select count(distinct customer_id) from intermediate.int_customers__orders where is_qualifying "
            "and customer_id is not null and order_date > "
            "(select max(as_of_date) from marts.customer_lifecycle) - 365"
        )
        assert one("select count(*) from marts.customer_rfm") == buyers_in_window > 0
        assert one(
            "select sum(cohort_customers) from marts.mart_retention_cohort where months_since_join = 0"
        ) == joined
        assert one(
            "select sum(customers) from marts.mart_lifecycle_daily where dimension = 'lifecycle'"
        ) == joined
        assert one(
            "select count(*) from marts.customer_lifecycle l join marts.customer_profile p "
            "using (customer_id) where l.order_count != p.order_count"
        ) == 0


def test_the_unit_tests_run_apart_from_the_nightly_build(nightly, tmp_path):
    """The nightly `dbt build` leaves the unit tests out (BUILD_ARGS); `make test` runs them
    here, on the warehouse the nightly run built (dbt reads the parents' column types)."""
    _, database, _ = nightly
    nightly_results = json.loads(
        (database.parent / DBT_TARGET / "run_results.json").read_text(encoding="utf-8")
    )["results"]
    assert nightly_results and not any(r["unique_id"].startswith("unit_test.") for r in nightly_results)
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text(encoding="utf-8"))
    target = tmp_path / "target"
    dbt("test", "--select", "test_type:unit", warehouse_dir=database.parent, target=target)
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    units = [r for r in results if r["unique_id"].startswith("unit_test.")]
    assert sorted(r["unique_id"] for r in units) == sorted(manifest["unit_tests"])
    assert {r["status"] for r in units} == {"pass"}
    # Besides them only the project's on-run-start hook ran (Spark's raw tables; on DuckDB
    # `select 1`: macros/engine/parquet_tables.sql).
    assert {r["unique_id"] for r in results if r not in units} == {"operation.cdp.cdp-on-run-start-0"}
