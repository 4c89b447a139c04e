"""The quality gate on Spark (issue 26): the same suites, their SQL written once in DuckDB's
dialect, computed by Spark (expectations/spark_queries.py) give the same results as on DuckDB.

The small build database of tests/test_expectations.py (raw tables, load log, every published
table) is written once as Parquet in Spark's folder layout (`<warehouse>/spark/raw/<table>/`,
`<warehouse>/spark/warehouse/<schema>.db/<table>/`), registered in the tests' local Spark session
(conftest.py `spark`) as a Spark night's gate registers them, each table when first read
(orchestration/lib/quality_gate.py, cdp/spark/session.py: an in-memory catalog), and the gate
runs on both, one table's suites at a time, that table as it is or broken on purpose: they must
pass or fail alike, with the same failure lines and as many expectations evaluated.
tests/test_spark.py compares every suite's results of a whole night of `cdp run` on each
engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from test_expectations import AS_OF, CUSTOMERS, SETTINGS, good_build
from test_spark import SHORT_RUN_SPARK, needs_spark

from cdp.spark.tables import TABLES
from expectations.checks import MOBILE_PATTERN, FrameCheck, row_count
from expectations.gate import GateReport, check_group, run_gate
from expectations.gx_layer import GxRun
from expectations.published import SUITES
from expectations.queries import DuckDBQueries
from expectations.spark_queries import SparkQueries, to_spark
from ingestion.spark_loader import RAW_FOLDER
from orchestration.lib.quality_gate import spark_queries

pytestmark = needs_spark

BUILT_SCHEMAS = ("marts", "intermediate")
PREVIOUS_ROWS = {"customer_profile": CUSTOMERS + 10, "wecom_tag_sync": 1000}


def export(conn: duckdb.DuckDBPyConnection, folder: Path, schema: str, table: str) -> None:
    """One table of the build as Spark's files hold it: a raw table in ingestion's folder (one
    file, unpartitioned: register takes both shapes), a built one in Spark's warehouse."""
    if schema == "raw":
        files = folder / RAW_FOLDER / table
    else:
        files = folder / TABLES / f"{schema}.db" / table
    files.mkdir(parents=True, exist_ok=True)
    for old in files.glob("*.parquet"):
        old.unlink()
    conn.execute(f"copy {schema}.{table} to '{files / 'part-0.parquet'}' (format parquet)")


@pytest.fixture(scope="module")
def warehouse_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("warehouse")
    conn = good_build(folder)
    conn.execute("create schema intermediate")
    conn.execute(
        "create table intermediate.int_customers__golden_record as select * from (values "
        "('c1', '王姐 139-1234-5679'), ('c2', '老会员'), ('c3', null)) t(customer_id, name)"
    )
    for schema, table in conn.execute(
        "select schema_name, table_name from duckdb_tables() "
        f"where schema_name in {('raw', *BUILT_SCHEMAS)} order by all"
    ).fetchall():
        export(conn, folder, schema, table)
    conn.close()
    (folder / TABLES / "raw.db").mkdir()  # as dbt's on-run-start hook leaves it
    yield folder


@pytest.fixture(scope="module")
def session(spark) -> Iterator:
    yield spark


def on_spark(session, warehouse_dir: Path) -> SparkQueries:
    """The gate's reads on Spark, as a Spark night's gate makes them."""
    return spark_queries(session, warehouse_dir)


def gate(queries, docs: Path, run_id: str, tables=tuple(SUITES), **kwargs) -> GateReport:
    return run_gate(
        queries, as_of=AS_OF, since=None, previous_rows=PREVIOUS_ROWS, settings=SETTINGS,
        docs_dir=docs, run_id=run_id, tables=tables, say=lambda line: None, **kwargs,
    )  # fmt: skip


PROFILE = {"tables": ["customer_profile"], "kinds": ("published",)}
"""The published `customer_profile`'s suites alone."""


def outcome(report: GateReport) -> list[tuple]:
    return [(r.kind, r.target, r.suite, r.passed, r.failures, r.evaluated) for r in report.results]


def test_the_masked_names_are_counted_alike_and_the_tables_read_registered(
    warehouse_dir: Path, session, tmp_path: Path
) -> None:
    """`customer_profile`'s suites and what the gate counts as masked (a golden-record name
    holding a phone number, intermediate.int_customers__golden_record), on both; on Spark the
    tables the suites read, each registered when first read. (Every suite on both engines:
    tests/test_spark.py compares the gate reports of a whole night on each.)"""
    with duckdb.connect(str(warehouse_dir / "build.duckdb"), read_only=True) as conn:
        on_duckdb = gate(DuckDBQueries(conn), tmp_path / "duckdb", "duckdb", **PROFILE)
    queries = on_spark(session, warehouse_dir)
    spark_report = gate(queries, tmp_path / "spark", "spark", **PROFILE)
    assert outcome(spark_report) == outcome(on_duckdb)
    assert spark_report.passed, spark_report.failure_lines()
    assert spark_report.masked == on_duckdb.masked == {"names holding a phone number": 1}
    assert sum(r.evaluated for r in spark_report.results) > 10
    assert "intermediate.int_customers__golden_record" in queries.registered
    assert "marts.customer_profile" in queries.registered


def test_a_missing_table_or_column_fails_its_check_on_both(
    warehouse_dir: Path, session, tmp_path: Path
) -> None:
    """A query that cannot run fails its check, with the engine's message, on Spark too."""
    unreadable = FrameCheck(
        name="published.customer_rfm__x", label="customer_rfm", expectations=(row_count(1),),
        sql="select no_such_column from marts.customer_rfm",
    )  # fmt: skip
    with duckdb.connect(str(warehouse_dir / "build.duckdb"), read_only=True) as conn:
        for queries in (DuckDBQueries(conn), on_spark(session, warehouse_dir)):
            docs = tmp_path / queries.where
            missing = gate(queries, docs, "m", tables=["customer_rfm_x"], kinds=("published",))
            assert missing.failure_lines() == [
                "customer_rfm_x: table marts.customer_rfm_x is missing"
            ]
            run = GxRun(docs, "c")
            result = check_group(run, queries, "published", "customer_rfm", [unreadable])
            assert (result.passed, result.evaluated, len(result.failures)) == (False, 0, 1)
            assert result.failures[0].startswith(
                "customer_rfm: published.customer_rfm__x could not read its rows: "
            )
            assert "no_such_column" in result.failures[0]


SHANGHAI_2000 = int(dt.datetime(2000, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp())
"""2000-01-01 00:00 in Asia/Shanghai, 1999-12-31 16:00 in UTC, as epoch seconds."""


@pytest.mark.parametrize(
    ("schema", "table", "change", "failure"),
    [
        (
            "marts", "customer_profile",
            "set unionid = '张三 +86 138-0013-8000' where customer_id = 'cus_0004'",
            "customer_profile: no raw mobile in unionid: broken by 1 of 120 rows (e.g. cus_0004)",
        ),
        (
            "marts", "customer_profile",
            "set member_ids = ['M1', '13800138000'] where customer_id = 'cus_0005'",
            "customer_profile: no raw mobile in member_ids: broken by 1 of 120 rows "
            "(e.g. cus_0005)",
        ),
        (  # every row at the first instant of 2000 in Shanghai but one, a second before it
            "raw", "wecom__contact_events",
            f"set CreateTime = case when ExternalUserID = 'wm3' then {SHANGHAI_2000 - 1} "
            f"else {SHANGHAI_2000} end",
            "wecom/contact_events: CreateTime not before 2000: broken by 1 of 10 rows "
            "(e.g. wecom/2026-03-31/contact_events.jsonl:3)",
        ),
    ],
)  # fmt: skip
def test_a_broken_table_fails_alike_on_both(
    warehouse_dir: Path, session, tmp_path: Path, schema: str, table: str, change: str,
    failure: str,
) -> None:  # fmt: skip
    """The table changed in the build database and its Parquet rewritten: the same suite
    fails on both engines with the same line."""
    kinds = ("input",) if schema == "raw" else ("published",)
    conn = duckdb.connect(str(warehouse_dir / "build.duckdb"))
    try:
        conn.begin()
        conn.execute(f"update {schema}.{table} {change}")
        export(conn, warehouse_dir, schema, table)
        on_duckdb = gate(DuckDBQueries(conn), tmp_path / "d", "d", tables=[table], kinds=kinds)
        spark_report = gate(
            on_spark(session, warehouse_dir), tmp_path / "s", "s", tables=[table], kinds=kinds
        )
    finally:
        conn.rollback()
        export(conn, warehouse_dir, schema, table)
        conn.close()
    assert outcome(spark_report) == outcome(on_duckdb)
    assert spark_report.failure_lines() == [failure]


@pytest.mark.parametrize(
    ("duckdb_sql", "expected"),
    [
        # DuckDB's wall-clock time of an instant in a zone, from epoch seconds
        (
            "select cast(timezone('Asia/Shanghai', to_timestamp(1767196800)) as varchar) as t",
            "2026-01-01 00:00:00",
        ),
        ("select year(timezone('Asia/Shanghai', to_timestamp(946655999))) as t", 1999),
        ("select year(timezone('Asia/Shanghai', to_timestamp(946656000))) as t", 2000),
        # hexadecimal text read as a number
        ("select cast(('0x' || 'ff') as bigint) % 100 as t", 55),
        ("select cast(('0x' || substr(md5('a'), 1, 8)) as bigint) as t", 0x0CC175B9),
        # a list's length, null for a null list
        ("select array_length(['a', 'b']) as t", 2),
        ("select array_length(cast(null as varchar[])) as t", None),
        # days between dates, as DuckDB's date - date
        ("select date_diff('day', date '2026-01-30', date '2026-03-01') as t", 30),
        # the raw-mobile pattern (RE2 in DuckDB, Java's regular expressions in Spark)
        ("select regexp_matches('tel:+86 138-0013-8000.', ?) as t", True),
        ("select regexp_matches('138****8000', ?) as t", False),
        # a list read as text
        ("select array_to_string(['a', 'b'], ',') as t", "a,b"),
    ],
)
def test_each_translation_computes_duckdbs_value(session, duckdb_sql: str, expected) -> None:
    """Each correction of expectations/spark_sql.py (and what sqlglot translates alone that
    the gate relies on) on Spark and on DuckDB: the same value."""
    params = [MOBILE_PATTERN] if "?" in duckdb_sql else []
    values = [
        queries.frame(duckdb_sql, params)["t"].iloc[0]
        for queries in (DuckDBQueries(duckdb.connect()), SparkQueries(session))
    ]
    assert [None if pd.isna(v) else v for v in values] == [expected, expected]


def test_parameters_are_bound_as_duckdb_binds_them() -> None:
    sql = "select ? as day, ? as share, ? as label where regexp_matches(label, '^a?$')"
    assert to_spark(sql, [AS_OF, 0.05, "it's"]) == (
        "SELECT CAST('2026-03-31' AS DATE) AS day, CAST(0.05 AS DOUBLE) AS share, "
        "'it\\'s' AS label WHERE label RLIKE '^a?$'"
    )
    with pytest.raises(ValueError, match="2 placeholders for 1 parameters"):
        to_spark("select ?, ?", [1])


def test_the_columns_and_counts_on_spark(warehouse_dir: Path, session) -> None:
    """Each table registered over its folder when first read, and only those read."""
    queries = on_spark(session, warehouse_dir)
    with duckdb.connect(str(warehouse_dir / "build.duckdb"), read_only=True) as conn:
        on_duckdb = DuckDBQueries(conn).columns("marts", "customer_profile")
    assert queries.columns("marts", "customer_profile") == on_duckdb
    assert queries.count("marts", "customer_profile") == CUSTOMERS
    assert queries.has_table("raw", "_loads") and not queries.has_table("marts", "nothing")
    assert queries.columns("marts", "nothing") == {}
    assert queries.registered == ["marts.customer_profile", "raw._loads"]


def test_a_spark_setting_among_the_java_options_reaches_the_session(session) -> None:
    """`-Dspark.<setting>=<value>` in CDP_SPARK_JAVA_OPTIONS sets a Spark setting (README
    "Running on Spark"), as the tests' short runs turn code generation off."""
    assert SHORT_RUN_SPARK and all(
        session.conf.get(key) == value for key, value in SHORT_RUN_SPARK.items()
    )
