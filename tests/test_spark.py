"""The nightly path on Apache Spark (README "Running on Spark"), issue 26: on a small generated
landing zone, a night of `cdp run` publishes with DuckDB (the default) and with
`CDP_ENGINE=spark` (dbt's `spark` target, a local Spark session; the Python models run in it:
cdp/spark/dbt.py), each into a warehouse of its own, and every table must hold the same rows
on both: every published table, and every table of the build (Spark's as the views
cdp/spark/tables.py makes of them); and the night's two gates give the same results. Then a
later night of the histories alone (the models that keep rows from night to night, built by dbt
as the nightly build does) must leave them the same on both engines: the increments' Spark path
(macros/engine/) against DuckDB's.
Compared by cdp/compare.py (`cdp compare`): types normalised (instants in UTC), floats within
1e-9 relative. A difference names the table, the column and a row."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from cdp.compare import compare_tables, relations
from cdp.publish import attach_published, database_path, last_published_as_of, read_manifest
from cdp.settings import EngineSettings, Settings, SettingsError
from cdp.spark.session import keep_root_logger_quiet
import cdp_command
from dbt_in_process import dbt, dbt_process
from orchestration import dbt_vars
from orchestration.cli.main import EXIT_BAD_INPUT, main
from orchestration.lib.dbt.build_log import DBT_TARGET
from orchestration.lib.quality_gate import read_report
from tools.generate import generate

needs_spark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None
    or (shutil.which("java") is None and not os.environ.get("JAVA_HOME")),
    reason="needs the `spark` extra and a Java runtime (.ci/run installs openjdk-17-jre-headless)",
)

AS_OF = date(2026, 10, 31)
VARS = "{replenishment_min_gaps: 1}"
"""A threshold lowered on both engines so that one run on this small landing zone (21 days of
200 customers, enough for the purchase model to fit) gives replenishment cycles to compare."""
EMPTY_HERE = {"mart_action_outcomes", "customer_merges"}
"""Tables empty on both engines all the same, compared too: no action's outcome window has
closed and no customer has merged after a first night."""
HISTORIES = (
    "intermediate.int_identity__customer_id_history",
    "intermediate.int_purchase_model__parameters",
    "marts.customer_action_history",
    "marts.customer_tier_history",
    "marts.identity_graph_stats",
    "marts.mart_lifecycle_daily",
)
"""The models that keep rows from night to night (incremental on both engines; the parameter
history on Spark only, docs/incremental.md)."""
BOOKKEEPING = {"intermediate.int_identity__identifier_occurrences": ("recorded_as_of",)}
"""Columns an increment keeps for itself, left out of the comparison: `recorded_as_of` is the
D of the night that recorded an occurrence, which a DuckDB night keeps and a full build (every
Spark night) writes anew on every row (docs/incremental.md)."""
SHORT_RUN_JVM = (
    "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:ReservedCodeCacheSize=240m"
    " -XX:+UnlockDiagnosticVMOptions -XX:-BytecodeVerificationRemote"
)
"""The JVMs compile with C1 alone and collect with the serial collector: a run of a few minutes
on two shared cores gains more from the faster start than C2 and G1 give back (measured on the
Thrift Server of tests/test_spark_thrift.py: it answered after 15 s instead of 28, and that
test took 67 s instead of 107). C1 alone reserves a small code cache by default, which
Spark's generated code filled under load ("Out of space in CodeCache"): it gets tiered
compilation's size. The classes of pyspark's own jars are not verified as they load: a local
session's start and a few queries took 12.1 s of CPU instead of 15.3 (two runs each here),
and a night of this module on Spark 218 s instead of 225."""
SHORT_RUN_SPARK = {"spark.sql.codegen.wholeStage": "false", "spark.sql.codegen.factoryMode": "NO_CODEGEN"}
"""Spark evaluates the queries of the tests' short runs without generating Java code for them
(Spark's own fallback when code generation fails; same results): on a few hundred rows,
compiling each query's code (Janino, which looks names up through every jar on Spark's class
path) cost more than it saved. A night of tests/test_spark.py on Spark took 15% less CPU
(215 and 218 s against 251 and 255 s, alternate runs on this machine)."""
SHORT_RUN = SHORT_RUN_JVM + "".join(f" -D{key}={value}" for key, value in SHORT_RUN_SPARK.items())
"""`CDP_SPARK_JAVA_OPTIONS` of the tests' local sessions: the driver's JVM options, and the
Spark settings as system properties (which a session's configuration reads)."""


def cdp_run(root: Path, engine: str, as_of: date) -> tuple[Path, float]:
    """`cdp run` as of `as_of` on the landing zone under `root`, in a warehouse of the engine's
    own, as a user types it; the warehouse and the seconds the run took. Spark's in a process
    of its own with its JVM; DuckDB's in this process (tests/cdp_command.py: a process of its
    own imported Dagster, dbt and GX again, about 8 s of CPU)."""
    warehouse_dir = root / engine
    environment = {
        "CDP_ENGINE": engine,
        "CDP_LANDING_DIR": str(root / "landing"),
        "CDP_WAREHOUSE_DIR": str(warehouse_dir),
        "DAGSTER_HOME": str(root / f"dagster-{engine}"),
        "CDP_THREADS": "2",
        "CDP_SPARK_JAVA_OPTIONS": SHORT_RUN,
    }
    (root / f"dagster-{engine}").mkdir(exist_ok=True)
    command = ["run", "--as-of", as_of.isoformat(), "--vars", VARS]
    started = time.perf_counter()
    if engine == "duckdb":
        done = cdp_command.cdp(*command, environment=environment)
    else:
        done = subprocess.run(
            [*cdp_command.PROCESS, *command],
            env={**os.environ, **environment}, capture_output=True, text=True, check=False,
        )
    seconds = time.perf_counter() - started
    assert done.returncode == 0, (
        f"cdp run on {engine} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    assert f"published as of {as_of}" in done.stdout, done.stdout[-3000:]
    return warehouse_dir, seconds


def history_night(root: Path, engine: str, as_of: date) -> float:
    """The histories alone built as of `as_of` in the engine's warehouse, by dbt with the vars
    and environment of the nightly build (orchestration/defs/dbt.py) in its dbt target (whose
    parse it reuses), the rest of the build left as the last night made it; the seconds it
    took. On Spark in a process of its own, with its JVM; on DuckDB in this one
    (tests/dbt_in_process.py)."""
    warehouse_dir = root / engine
    settings = Settings.from_env({**os.environ, "CDP_ENGINE": engine})
    cli_vars, run_dates = dbt_vars.split_vars(
        dbt_vars.build_vars(VARS, settings, as_of, last_published_as_of(warehouse_dir))
    )
    environment = {
        **settings.engine.dbt_environment(),
        **run_dates,
        "CDP_WAREHOUSE_DIR": str(warehouse_dir),
        "CDP_THREADS": "2",
        "CDP_SPARK_JAVA_OPTIONS": SHORT_RUN,
    }
    build = [
        "build", "--select", *(h.split(".")[1] for h in HISTORIES), "--vars", json.dumps(cli_vars),
    ]
    target = warehouse_dir / DBT_TARGET
    started = time.perf_counter()
    run = dbt if engine == "duckdb" else dbt_process
    run(*build, warehouse_dir=warehouse_dir, target=target, environment=environment)
    return time.perf_counter() - started


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spark")
    generate(root / "landing", customers=200, days=21, seed=1, end=AS_OF, snapshot_every=7)
    return root


SPARK_SECONDS: list[float] = []
"""How long each Spark run of the module took."""


@pytest.fixture(scope="module")
def runs(root: Path) -> tuple[Path, Path]:
    """The two warehouses, DuckDB's and Spark's, after a night each."""
    duck, _ = cdp_run(root, "duckdb", AS_OF)
    spark, seconds = cdp_run(root, "spark", AS_OF)
    SPARK_SECONDS.append(seconds)
    return duck, spark


@pytest.fixture(scope="module")
def later(root: Path, runs: tuple[Path, Path]) -> tuple[Path, Path]:
    """The same warehouses after a later night of the histories."""
    history_night(root, "duckdb", AS_OF + timedelta(days=1))
    SPARK_SECONDS.append(history_night(root, "spark", AS_OF + timedelta(days=1)))
    return runs


ENGINES = ("DuckDB", "Spark")


def compare(conn: duckdb.DuckDBPyConnection, tables: list[str], duck: str, spark: str) -> None:
    """Every table of the list, in the attached databases `duck` and `spark`, row for row
    (cdp/compare.py; but the increments' bookkeeping, BOOKKEEPING)."""
    for found in compare_tables(conn, tables, duck, spark, labels=ENGINES, skipped=BOOKKEEPING):
        assert found.difference is None, found.difference
        empty = found.table.split(".")[-1] in EMPTY_HERE
        assert bool(found.rows) != empty, f"{found.table}: {found.rows} rows on DuckDB"


@needs_spark
def test_spark_publishes_the_same_tables_as_duckdb(runs):
    """DuckDB's published.duckdb against Spark's Parquet files (CDP_PUBLISH_DATABASE is `no`
    there by default), both through cdp.publish.attach_published."""
    duck, spark = runs
    assert read_manifest(duck)["database"] and database_path(duck).is_file()
    assert read_manifest(spark)["database"] is False and not database_path(spark).exists()
    with duckdb.connect() as conn:
        conn.execute("set TimeZone = 'UTC'")
        attach_published(conn, duck, "duck")
        attach_published(conn, spark, "spark")
        published = sorted(relations(conn, "duck", "'main'"))
        assert sorted(relations(conn, "spark", "'main'")) == published
        assert len(published) >= 20, published
        compare(conn, published, "duck", "spark")


def gate_results(warehouse_dir: Path) -> tuple[list[dict], dict]:
    """The published night's gate report (orchestration/lib/quality_gate.py): every suite's
    result, and what the published tables hold masked."""
    report = read_report(warehouse_dir, read_manifest(warehouse_dir)["run_id"])
    assert report is not None, f"no gate report of the published run in {warehouse_dir}"
    return report["results"], report["masked"]


@needs_spark
def test_the_gate_gives_the_same_results_on_both_engines(runs):
    """Both gates of the night, the inputs' and the published tables': on Spark every suite
    computed by Spark (expectations/spark_queries.py) passes, with as many expectations
    evaluated as on DuckDB."""
    duck, spark = runs
    results, masked = gate_results(duck)
    assert gate_results(spark) == (results, masked)
    assert {r["kind"] for r in results} >= {"input", "published"} and len(results) >= 30
    assert all(r["passed"] for r in results) and sum(r["evaluated"] for r in results) > 200


@needs_spark
def test_the_spark_night_keeps_hives_session_folder_in_the_warehouse(runs):
    """Hive's folder for a session's resources is the profile's, not a new one per session in
    the system's temporary folder (which Hive leaves behind)."""
    _, spark = runs
    assert (spark / "spark" / "resources").is_dir()


@needs_spark
def test_every_table_spark_builds_holds_the_same_rows_as_on_duckdb(runs):
    duck, spark = runs
    schemas = "'staging', 'intermediate', 'marts'"
    with duckdb.connect() as conn:
        conn.execute("set TimeZone = 'UTC'")
        conn.execute(f"attach '{duck / 'build.duckdb'}' as duck (read_only)")
        conn.execute(f"attach '{spark / 'build.duckdb'}' as spark (read_only)")
        built = relations(conn, "spark", schemas)
        views_on_duckdb = relations(conn, "duck", schemas) - built
        assert all(conn.execute(
            f"select count(*) from duckdb_views() where database_name = 'duck' "
            f"and schema_name || '.' || view_name = '{view}'"
        ).fetchone()[0] for view in views_on_duckdb), f"not built on Spark: {views_on_duckdb}"
        assert len(built) == 65, sorted(built)  # the models but the views, and the seed
        compare(conn, sorted(built), "duck", "spark")


@needs_spark
def test_a_later_night_keeps_the_same_histories_on_both_engines(later, record_property):
    """`spark_seconds`: the Spark runs' time, which the test run's summary shows (conftest.py)."""
    duck, spark = later
    record_property("spark_seconds", round(sum(SPARK_SECONDS), 1))
    with duckdb.connect() as conn:
        conn.execute("set TimeZone = 'UTC'")
        conn.execute(f"attach '{duck / 'build.duckdb'}' as duck (read_only)")
        conn.execute(f"attach '{spark / 'build.duckdb'}' as spark (read_only)")
        days = conn.execute(
            "select distinct as_of_date from duck.marts.mart_lifecycle_daily order by 1"
        ).fetchall()
        assert days == [(AS_OF,), (AS_OF + timedelta(days=1),)], days
        compare(conn, list(HISTORIES), "duck", "spark")


def test_py4j_logging_through_the_root_logger_leaves_the_output_quiet(capsys):
    """In a process without logging set up (as `cdp run`), a root-level record (py4j's
    `logging.info` on a retried command) must not give the root a printing handler: dagster-dbt's
    warnings and Dagster's info lines then appeared amid a Spark night's progress lines."""
    handlers = logging.root.handlers[:]  # pytest's own, put back as they were
    logging.root.handlers.clear()
    try:
        keep_root_logger_quiet()
        logging.info("Exception while sending command.")  # py4j's java_gateway
        logging.getLogger("dagster_dbt.test").warning("not included in the check selection")
        added = [type(handler).__name__ for handler in logging.root.handlers]
    finally:
        logging.root.handlers[:] = handlers
    assert added == ["NullHandler"]
    assert capsys.readouterr().err == ""


def test_the_spark_extra_leaves_the_quality_gate_importable():
    """GX imports pyspark.sql.connect whenever pyspark is installed; without the `connect`
    extra's packages that import exits the process (status 0) when `__main__` has no file, as
    in `python -c` and pytest-xdist's workers: the gate then never ran (pyproject.toml)."""
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", "import great_expectations; print('imported')"],
        capture_output=True, text=True, check=False,
    )
    assert done.stdout.strip() == "imported", done.stderr[-2000:]


def test_the_engine_setting_chooses_the_dbt_target():
    assert EngineSettings.from_env({}).dbt_environment() == {"CDP_DBT_TARGET": "build"}
    assert EngineSettings.from_env({"CDP_ENGINE": "spark"}).dbt_target == "spark"
    thrift = EngineSettings.from_env({"CDP_ENGINE": "Spark", "CDP_SPARK_HOST": "10.0.0.5"})
    assert thrift.dbt_environment() == {
        "CDP_DBT_TARGET": "thrift", "CDP_SPARK_HOST": "10.0.0.5", "CDP_SPARK_PORT": "10000"
    }
    with pytest.raises(SettingsError, match="CDP_ENGINE: 'snowflake' is not one of duckdb, spark"):
        EngineSettings.from_env({"CDP_ENGINE": "snowflake"})


def test_the_demo_refuses_spark(cdp_env, monkeypatch, capsys):
    monkeypatch.setenv("CDP_ENGINE", "spark")
    assert main(["demo"]) == EXIT_BAD_INPUT
    assert "CDP_ENGINE=spark: `cdp demo` runs on DuckDB only" in capsys.readouterr().err


def test_the_nightly_job_refuses_a_thrift_server(cdp_env, monkeypatch, capsys):
    monkeypatch.setenv("CDP_ENGINE", "spark")
    monkeypatch.setenv("CDP_SPARK_HOST", "10.0.0.5")
    assert main(["run"]) == EXIT_BAD_INPUT
    assert "`cdp run` runs on a local Spark session only" in capsys.readouterr().err
