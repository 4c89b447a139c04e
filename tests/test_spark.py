"""The dbt models on Apache Spark (README "Running on Spark"), issue 26: on a small generated
landing zone, the SQL models and the seed are built by dbt on DuckDB and by dbt on a local
Spark session (the profile's `spark` target, chosen as `CDP_ENGINE=spark` chooses it), from
the same raw tables (ingested into DuckDB, exported as Parquet and registered in Spark), and
every table must hold the same rows on both: types normalised (instants in UTC), floats within
1e-9 relative. A difference names the table, the column and a row. The Python models do not
run on Spark yet: the tables DuckDB built for them stand in for them there (STAND_INS).

Spark's tables are read from their Parquet files (`<warehouse>/spark/warehouse/<schema>.db/`)
by DuckDB: reading them needs no second JVM."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cdp.settings import EngineSettings, SettingsError
from ingestion import warehouse
from ingestion.loader import ingest
from ingestion.parquet_export import export_for_spark
from orchestration.cli.main import EXIT_BAD_INPUT, main
from orchestration.dbt_manifest import PROJECT_DIR, dbt_executable
from tools.generate import generate

needs_spark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None
    or (shutil.which("java") is None and not os.environ.get("JAVA_HOME")),
    reason="needs the `spark` extra and a Java runtime (.ci/run installs openjdk-17-jre-headless)",
)

AS_OF = date(2026, 10, 31)
STAND_INS = [
    "intermediate.int_identity__customer_identifiers",
    "intermediate.int_purchase_model__parameters",
    "intermediate.int_purchase_model__predictions",
]
"""The Python models, which dbt-spark runs only on Databricks: their tables as DuckDB built
them, exported with the raw tables and registered in Spark under the same names, stand in for
them there."""
VARS = "{replenishment_min_gaps: 1, outcome_window_days: 0}"
"""Thresholds lowered on both engines so that one run on this small landing zone (14 days of
120 customers) gives replenishment cycles and action outcomes to compare."""
EMPTY_HERE = {"customer_merges", "customer_predictions", "model_parameters"}
"""Tables empty on both engines all the same: no merge before a second run, too few purchases
for the purchase model. They are compared too."""
REL_TOL = 1e-9


def dbt(warehouse_dir: Path, engine: str, *args: str) -> None:
    """dbt in its own process on the engine's target, as the Dagster dbt asset runs it."""
    environment = {
        **os.environ,
        **EngineSettings(engine=engine).dbt_environment(),
        "CDP_WAREHOUSE_DIR": str(warehouse_dir),
        "CDP_AS_OF": AS_OF.isoformat(),
        "CDP_THREADS": "2",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    done = subprocess.run(
        [dbt_executable(), *args, "--target-path", str(warehouse_dir / f"target-{engine}"),
         "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)],
        cwd=warehouse_dir, env=environment, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, f"dbt {args[0]} on {engine} failed:\n{done.stdout[-4000:]}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str], float]]:
    """The warehouse built on both engines, the schema of each built model, and how long the
    Spark part took (export, registration and build)."""
    root = tmp_path_factory.mktemp("spark")
    generate(root / "landing", customers=120, days=14, seed=26, end=AS_OF, snapshot_every=7)
    warehouse_dir = root / "warehouse"
    with warehouse.connect(warehouse.build_database(warehouse_dir)) as conn:
        ingest(conn, root / "landing")
    build = ["build", "--resource-type", "model", "--resource-type", "seed", "--vars", VARS]
    dbt(warehouse_dir, "duckdb", *build)

    started = time.perf_counter()
    dbt(warehouse_dir, "spark", "run-operation", "register_parquet_tables",
        "--args", json.dumps(export_for_spark(warehouse_dir, STAND_INS)))
    not_built = [table.split(".")[1] for table in STAND_INS]
    dbt(warehouse_dir, "spark", *build, "--exclude", *not_built)
    seconds = time.perf_counter() - started

    with duckdb.connect(str(warehouse.build_database(warehouse_dir)), read_only=True) as conn:
        schemas = dict(conn.execute(
            "select table_name, schema_name from duckdb_tables() "
            "where schema_name not in ('raw', 'main')"
        ).fetchall())
    for table in not_built:
        del schemas[table]
    yield warehouse_dir, schemas, seconds


def normalised(value: Any) -> Any:
    """A value as both engines' tables can be compared: instants as naive UTC, decimals as
    floats, lists and structs element by element."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [normalised(v) for v in value]
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items()}
    return value


def sort_key(row: tuple) -> str:
    """Rows in one order on both engines (floats rounded, so a last-digit difference does not
    reorder them)."""
    return repr(tuple(f"{v:.9g}" if isinstance(v, float) else v for v in row))


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=REL_TOL) or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def rows(conn: duckdb.DuckDBPyConnection, relation: str, columns: list[str]) -> list[tuple]:
    selected = ", ".join(f'"{c}"' for c in columns)
    fetched = conn.execute(f"select {selected} from {relation}").fetchall()
    return sorted((tuple(normalised(v) for v in row) for row in fetched), key=sort_key)


def difference(table: str, columns: list[str], duck: list[tuple], spark: list[tuple]) -> str | None:
    """The first difference of two sorted row lists: the table, the column and the row."""
    if len(duck) != len(spark):
        only = {sort_key(r) for r in duck} ^ {sort_key(r) for r in spark}
        return f"{table}: {len(duck)} rows on DuckDB, {len(spark)} on Spark; e.g. {min(only)}"
    for duck_row, spark_row in zip(duck, spark):
        for column, a, b in zip(columns, duck_row, spark_row):
            if not same(a, b):
                row = dict(zip(columns, duck_row))
                return f"{table}.{column}: DuckDB {a!r}, Spark {b!r} in the row {row}"
    return None


@needs_spark
def test_the_models_on_spark_hold_the_same_rows_as_on_duckdb(built, record_property):
    """`spark_seconds` is the Spark part's time, which the run's summary shows (conftest.py)."""
    warehouse_dir, schemas, seconds = built
    record_property("spark_seconds", round(seconds, 1))
    spark_tables = warehouse_dir / "spark" / "warehouse"
    compared = []
    with duckdb.connect(str(warehouse.build_database(warehouse_dir)), read_only=True) as conn:
        conn.execute("set TimeZone = 'UTC'")
        for table, schema in sorted(schemas.items()):
            files = spark_tables / f"{schema}.db" / table
            assert files.is_dir(), f"{schema}.{table} was built on DuckDB, not on Spark"
            spark = f"read_parquet('{files}/*.parquet')"
            columns = [c for (c, *_) in conn.execute(f"describe {schema}.{table}").fetchall()]
            spark_columns = [c for (c, *_) in conn.execute(f"describe select * from {spark}").fetchall()]
            assert spark_columns == columns, f"{table}: columns {spark_columns} on Spark, {columns} on DuckDB"
            duck_rows = rows(conn, f"{schema}.{table}", columns)
            assert bool(duck_rows) != (table in EMPTY_HERE), f"{table}: {len(duck_rows)} rows on DuckDB"
            found = difference(table, columns, duck_rows, rows(conn, spark, columns))
            assert found is None, found
            compared.append(table)
    assert len(compared) == 62, compared  # the SQL models but the views, and the seed


def test_a_difference_names_the_table_the_column_and_a_row():
    columns = ["customer_id", "spend", "joined_at"]
    duck = [("c1", 10.0, datetime(2026, 1, 1, 2)), ("c2", 1 / 3, None)]
    assert difference("t", columns, duck, [("c1", 10.0 + 1e-12, datetime(2026, 1, 1, 2)), ("c2", 1 / 3, None)]) is None
    found = difference("t", columns, duck, [("c1", 10.5, datetime(2026, 1, 1, 2)), ("c2", 1 / 3, None)])
    assert found == (
        "t.spend: DuckDB 10.0, Spark 10.5 in the row "
        "{'customer_id': 'c1', 'spend': 10.0, 'joined_at': datetime.datetime(2026, 1, 1, 2, 0)}"
    )
    assert difference("t", columns, duck, duck[:1]).startswith("t: 2 rows on DuckDB, 1 on Spark; e.g. ")
    assert normalised(datetime(2026, 1, 1, 10, tzinfo=timezone.utc)) == datetime(2026, 1, 1, 10)
    assert normalised([{"a": Decimal("1.50")}]) == [{"a": 1.5}]


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


def test_the_nightly_job_refuses_spark_until_it_runs_there(cdp_env, monkeypatch, capsys):
    monkeypatch.setenv("CDP_ENGINE", "spark")
    assert main(["run"]) == EXIT_BAD_INPUT
    assert "CDP_ENGINE=spark: the nightly job does not run on Spark yet" in capsys.readouterr().err
