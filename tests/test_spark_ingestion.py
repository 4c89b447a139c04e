"""Ingestion on Spark (ingestion/spark_loader.py, issue 26): the extracts read by Spark into
the raw tables' partitioned Parquet must hold the rows DuckDB's loader loads from the same
files, with the same quarantine, load log and unreadable files; a reload replaces its dates'
partitions, and a file gone from a reloaded folder takes its partition with it.

The landing zone is a small generated one with broken files added: a GB18030 member file, bad
rows (a negative amount, a JSON line cut off), a JSON Lines file holding CSV, a CSV without
its columns, and a folder where a file should be. Both loaders run on the same files, DuckDB's
into its build database, Spark's (the tests' local session) into Parquet with its load log in
a build database of its own."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from test_ingestion import EVENT, MEMBER_ROW, MEMBERS_HEADER, ORDERS_HEADER
from test_spark import needs_spark

from cdp.spark.session import register
from ingestion import warehouse
from ingestion.contracts import ENTITIES
from ingestion.loader import ingest
from ingestion.spark_loader import PARTITION, RAW_FOLDER, ingest_on_spark
from tools.generate import generate

pytestmark = needs_spark

END = date(2026, 3, 10)
RELOADED = date(2026, 3, 7)
LOG_COLUMNS = {
    "_loads": "source, entity, extract_date, file, encoding, bytes, rows_loaded, rows_quarantined",
    "_quarantine": "source, entity, extract_date, file, line, reason, record",
}
"""The load log's columns but the load's id and time."""


def broken_files(landing: Path) -> None:
    def write(source: str, day: str, name: str, data: bytes) -> None:
        path = landing / source / day / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    write("member", "2026-03-11", "members.csv", (MEMBERS_HEADER + MEMBER_ROW).encode("gb18030"))
    write("miniprogram", "2026-03-11", "orders.csv", (
        ORDERS_HEADER + "O1,o1,paid,-35.00,0,-35.00,,2026-03-11 10:00:00,"
        "2026-03-11 10:00:05,2026-03-11 10:00:05\n"
        "O2,o1,paid,35.00,0,35.00,,2026-03-11 10:00:00,2026-03-11 10:00:05,2026-03-11 10:00:05\n"
    ).encode())
    write("miniprogram", "2026-03-11", "events.jsonl", (EVENT % 1 + '{"event_id": "e2", "op').encode())
    write("wecom", "2026-03-11", "contact_events.jsonl", b"a,b\n1,2\n")
    write("member", "2026-03-12", "points_ledger.csv", b"entry_id\nP1\n")
    (landing / "member" / "2026-03-12" / "offline_orders.csv").mkdir(parents=True)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, spark) -> dict:
    """The landing zone, both warehouses and both loaders' unreadable files, first loaded,
    then with RELOADED's events corrected and its offline orders (their only file) gone,
    reloaded."""
    root = tmp_path_factory.mktemp("spark-ingestion")
    landing = root / "landing"
    generate(landing, customers=60, days=7, seed=3, end=END, snapshot_every=7)
    broken_files(landing)
    duck = warehouse.connect(warehouse.build_database(root / "duck"))
    on_spark = warehouse.connect(warehouse.build_database(root / "spark"))
    first = (ingest(duck, landing), ingest_on_spark(spark, on_spark, landing, root / "spark"))
    events = landing / "miniprogram" / RELOADED.isoformat() / "events.jsonl"
    events.write_text(EVENT % 7 + EVENT % 8, encoding="utf-8")
    (landing / "member" / RELOADED.isoformat() / "offline_orders.csv").unlink()
    reloaded = (
        ingest(duck, landing, reload=[RELOADED]),
        ingest_on_spark(spark, on_spark, landing, root / "spark", reload=[RELOADED]),
    )
    yield {"root": root, "duck": duck, "spark": on_spark, "first": first, "reloaded": reloaded}
    duck.close()
    on_spark.close()


def spark_rows(conn: duckdb.DuckDBPyConnection, folder: Path, table: str, columns: str) -> list:
    """A table's rows as Spark wrote them: partitions, or one file (the log, a table of none)."""
    files = folder / table
    if not list(files.glob(f"{PARTITION}=*")):
        return conn.execute(
            f"select {columns} from read_parquet('{files}/*.parquet') order by all"
        ).fetchall()
    return conn.execute(
        f"select {columns} from read_parquet('{files}/**/*.parquet', hive_partitioning = true, "
        f"hive_types = {{'{PARTITION}': 'date'}}) order by all"
    ).fetchall()


def test_spark_loads_the_rows_duckdb_loads(loaded) -> None:
    folder = loaded["root"] / "spark" / RAW_FOLDER
    for entity in ENTITIES:
        columns = ", ".join(
            f'"{name}"' for (name,) in loaded["duck"].execute(
                "select column_name from information_schema.columns where table_schema = 'raw' "
                "and table_name = ? and column_name not in ('_loaded_at', '_load_id') "
                "order by ordinal_position", [entity.table]
            ).fetchall()
        )
        expected = loaded["duck"].execute(
            f"select {columns} from raw.{entity.table} order by all"
        ).fetchall()
        assert bool(expected) == (entity.table != "member__offline_orders"), entity.table
        assert spark_rows(loaded["spark"], folder, entity.table, columns) == expected, entity.table
    assert loaded["spark"].execute(
        "select count(*) from raw.miniprogram__orders"
    ).fetchall() == [(0,)], "on Spark the build database's raw tables stay empty"


def test_the_load_log_and_the_unreadable_files_are_duckdbs(loaded) -> None:
    for table, columns in LOG_COLUMNS.items():
        query = f"select {columns} from raw.{table} order by all"
        expected = loaded["duck"].execute(query).fetchall()
        assert loaded["spark"].execute(query).fetchall() == expected, table
        written = spark_rows(loaded["spark"], loaded["root"] / "spark" / RAW_FOLDER, table, columns)
        assert written == expected, f"{table} as Parquet"
    quarantined = loaded["duck"].execute("select reason from raw._quarantine").fetchall()
    assert ("negative total_amount: -35.00; negative paid_amount: -35.00",) in quarantined
    on_duckdb, on_spark = loaded["first"]
    problems = sorted(str(e) for e in on_spark.errors)
    assert problems == sorted(str(e) for e in on_duckdb.errors)
    assert (on_spark.files, on_spark.rows, on_spark.quarantined) == (
        on_duckdb.files, on_duckdb.rows, on_duckdb.quarantined
    )
    assert len(problems) == 3, problems
    assert any("contact_events.jsonl, line 1: not JSON Lines" in p for p in problems)
    assert any("offline_orders.csv: cannot be read: [Errno 21] Is a directory" in p for p in problems)


def test_a_reload_replaces_its_partitions_and_a_gone_file_drops_its_own(loaded) -> None:
    duck, spark = loaded["reloaded"]
    assert (spark.files, spark.rows) == (duck.files, duck.rows)
    folder = loaded["root"] / "spark" / RAW_FOLDER
    day = f"{PARTITION}={RELOADED.isoformat()}"
    assert not (folder / "member__offline_orders" / day).exists()
    assert not list((folder / "member__offline_orders").glob(f"{PARTITION}=*")), (
        "its only file is gone: an empty table of its columns"
    )
    assert spark_rows(
        loaded["spark"], folder, "miniprogram__events", f"event_id, {PARTITION}"
    ) == loaded["duck"].execute(
        f"select event_id, {PARTITION} from raw.miniprogram__events order by all"
    ).fetchall()
    assert ("e7", RELOADED) in spark_rows(
        loaded["spark"], folder, "miniprogram__events", f"event_id, {PARTITION}"
    )


def test_every_raw_table_registers_with_its_columns(loaded, spark, tmp_path: Path) -> None:
    """A table with partitions, and one with none yet (its one empty file of columns)."""
    empty = tmp_path / "empty"
    with warehouse.connect(warehouse.build_database(empty)) as conn:
        ingest_on_spark(spark, conn, tmp_path / "no-landing", empty)
    for warehouse_dir, schema in ((loaded["root"] / "spark", "raw_loaded"), (empty, "raw_empty")):
        folders = sorted(p for p in (warehouse_dir / RAW_FOLDER).iterdir() if p.is_dir())
        tables = [p.name for p in folders if register(spark, schema, p.name, p)]
        assert len(tables) == len(ENTITIES) + 2, tables
        for entity in ENTITIES:
            columns = [c.name for c in spark.catalog.listColumns(f"{schema}.{entity.table}")]
            assert sorted(columns) == sorted(
                [*entity.column_names, PARTITION, "_file", "_line", "_encoding", "_loaded_at",
                 "_load_id"]
            ), entity.table
    assert spark.sql(
        "select count(*) from raw_loaded.miniprogram__events"
    ).collect()[0][0] == loaded["duck"].execute(
        "select count(*) from raw.miniprogram__events"
    ).fetchall()[0][0]
    assert spark.sql("select count(*) from raw_empty.member__members").collect()[0][0] == 0
