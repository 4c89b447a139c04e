"""Publishing: atomic swap, crash safety, readers holding the file, the DuckDB 1.4 format, a
publish without its database (CDP_PUBLISH_DATABASE=no) and the readers of either kind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from cdp import publish
from cdp.settings import Settings, SettingsError

DUCKDB_1_4_STORAGE = 67
"""The storage version number DuckDB 1.4 writes and reads (1.2 wrote 65, 1.3 66)."""


def _publish(
    conn, warehouse: Path, rows: int, run_id: str, day: int, database: bool = True
) -> publish.Publication:
    conn.execute(f"create or replace table src as select range as id from range({rows})")
    return publish.publish(
        conn,
        warehouse,
        [publish.TableSource("customers", "src"), publish.TableSource("orders", "src")],
        run_id=run_id,
        as_of=date(2026, 3, day),
        gate={"verdict": "passed"},
        keep=2,
        database=database,
        say=lambda line: None,
    )


def _read(warehouse: Path) -> tuple[int, int, dict]:
    with duckdb.connect(str(publish.database_path(warehouse)), read_only=True) as reader:
        rows = reader.execute("select count(*) from customers").fetchone()[0]
    parquet = publish.folder_path(warehouse) / "customers.parquet"
    parquet_rows = duckdb.connect().execute(f"select count(*) from '{parquet}'").fetchone()[0]
    return rows, parquet_rows, publish.read_manifest(warehouse)


def test_publish_writes_database_parquet_and_manifest(tmp_path: Path) -> None:
    conn = duckdb.connect()
    first = _publish(conn, tmp_path, 10, "run-one-0000", day=1)
    assert _read(tmp_path)[:2] == (10, 10)
    manifest = publish.read_manifest(tmp_path)
    assert manifest["run_id"] == "run-one-0000" and manifest["as_of_date"] == "2026-03-01"
    assert manifest["gate"] == {"verdict": "passed"}
    table = manifest["tables"]["customers"]
    assert table["rows"] == 10
    assert table["sha256"] == publish.sha256_of(publish.folder_path(tmp_path) / "customers.parquet")
    header = publish.database_path(tmp_path).read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    assert int.from_bytes(header[12:20], "little") <= DUCKDB_1_4_STORAGE

    second = _publish(conn, tmp_path, 20, "run-two-0000", day=2)
    third = _publish(conn, tmp_path, 30, "run-three-00", day=3)
    assert _read(tmp_path)[:2] == (30, 30)
    kept = sorted(p.name for p in (tmp_path / publish.VERSIONS).iterdir())
    assert kept == sorted([second.version, third.version])  # keep=2: the first one is gone
    assert first.version not in kept


def _tags_and_contacts() -> duckdb.DuckDBPyConnection:
    """A build holding one customer's tag (`src`) and clear contact fields (`contacts`)."""
    conn = duckdb.connect()
    conn.execute("create table src as select 'cus_1' as customer_id, 'c1' as tag")
    conn.execute("create table contacts as select 'cus_1' as customer_id, '王小明' as name")
    return conn


def test_contacts_go_to_the_restricted_file_only_and_the_published_files_are_read_only(
    tmp_path: Path,
) -> None:
    conn = _tags_and_contacts()
    publication = publish.publish(
        conn, tmp_path, [publish.TableSource("customer_tags", "src")],
        restricted=[publish.TableSource("customer_contacts", "contacts")],
        run_id="run-pii-0000", as_of=date(2026, 3, 1), gate={}, say=lambda line: None,
    )
    restricted = tmp_path / publish.RESTRICTED / publish.CONTACTS
    assert restricted.resolve().parent.parent == (tmp_path / publish.VERSIONS / publication.version)
    assert restricted.stat().st_mode & 0o777 == 0o600
    assert restricted.parent.stat().st_mode & 0o777 == 0o700
    with duckdb.connect(str(restricted), read_only=True) as reader:
        assert reader.execute("select * from customer_contacts").fetchall() == [("cus_1", "王小明")]
    manifest = publish.read_manifest(tmp_path)
    assert set(manifest["tables"]) == {"customer_tags"}
    assert manifest["restricted"]["customer_contacts"] == {
        "rows": 1, "file": "restricted/contacts.duckdb", "sha256": publish.sha256_of(restricted)
    }
    with duckdb.connect(str(publish.database_path(tmp_path)), read_only=True) as reader:
        assert reader.execute("select table_name from duckdb_tables()").fetchall() == [
            ("customer_tags",)
        ]
        assert b"\xe7\x8e\x8b" not in publish.database_path(tmp_path).read_bytes()  # no 王
    published = [publish.database_path(tmp_path), *publish.folder_path(tmp_path).iterdir()]
    assert {path.stat().st_mode & 0o777 for path in published} == {0o444}


def test_a_publish_that_fails_leaves_no_half_version_and_the_last_one_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = duckdb.connect()
    first = _publish(conn, tmp_path, 10, "run-one-0000", day=1)

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish, "_write_restricted", full_disk)
    with pytest.raises(OSError, match="No space left on device"):
        _publish(conn, tmp_path, 20, "run-two-0000", day=2)
    assert [p.name for p in (tmp_path / publish.VERSIONS).iterdir()] == [first.version]
    assert _read(tmp_path)[:2] == (10, 10)


def test_descriptions_become_comments_of_the_published_database(tmp_path: Path) -> None:
    conn = duckdb.connect()
    conn.execute("create table src as select 1 as id, 'x' as name")
    table = publish.TableSource(
        "customers", "src", "One row per customer's id", (("id", "The id"), ("name", ""))
    )
    publish.publish(
        conn, tmp_path, [table], run_id="run-doc-0000", as_of=date(2026, 3, 1),
        gate={}, say=lambda line: None,
    )
    with duckdb.connect(str(publish.database_path(tmp_path)), read_only=True) as reader:
        assert reader.execute(
            "select comment from duckdb_tables() where table_name = 'customers'"
        ).fetchall() == [("One row per customer's id",)]
        assert reader.execute(
            "select column_name, comment from duckdb_columns() "
            "where table_name = 'customers' order by column_index"
        ).fetchall() == [("id", "The id"), ("name", None)]


def test_same_data_gives_the_same_files(tmp_path: Path) -> None:
    conn = duckdb.connect()
    one = _publish(conn, tmp_path, 1000, "run-a-000000", day=1).manifest["tables"]
    two = _publish(conn, tmp_path, 1000, "run-b-000000", day=1).manifest["tables"]
    assert one == two


def test_a_reader_holding_the_file_neither_blocks_nor_breaks(tmp_path: Path) -> None:
    conn = duckdb.connect()
    _publish(conn, tmp_path, 10, "run-old-0000", day=1)
    reader_script = textwrap.dedent(
        f"""
        import duckdb, sys
        conn = duckdb.connect({str(publish.database_path(tmp_path))!r}, read_only=True)
        print(conn.execute("select count(*) from customers").fetchone()[0], flush=True)
        sys.stdin.readline()
        print(conn.execute("select count(*) from customers").fetchone()[0], flush=True)
        """
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", reader_script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "10"
        _publish(conn, tmp_path, 25, "run-new-0000", day=2)  # does not wait for the reader
        assert _read(tmp_path)[:2] == (25, 25)  # new readers get the new version
        reader.stdin.write("go\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "10"  # the old reader keeps its version
    finally:
        reader.kill()
        reader.wait()


CRASHING_PUBLISH = """
import sys
from datetime import date
from pathlib import Path

import duckdb

from cdp import publish

conn = duckdb.connect()
conn.execute("set enable_progress_bar = false")  # as the build's connections: stdout is read
conn.execute("create table big as select range as id, md5(range::varchar) as s from range(2000000)")
publish.publish(
    conn,
    Path(sys.argv[1]),
    [publish.TableSource(f"t{n}", "big") for n in range(40)],
    run_id="crashing-run",
    as_of=date(2026, 3, 2),
    gate={"verdict": "passed"},
    say=lambda line: print(line, flush=True),
)
"""


def test_a_publish_killed_half_way_leaves_the_previous_version_complete(tmp_path: Path) -> None:
    conn = duckdb.connect()
    before = _publish(conn, tmp_path, 10, "run-before-0", day=1)
    database_bytes = publish.database_path(tmp_path).read_bytes()
    manifest_bytes = publish.manifest_path(tmp_path).read_bytes()
    process = subprocess.Popen(
        [sys.executable, "-c", CRASHING_PUBLISH, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert process.stdout.readline().startswith("publish: t0 ")  # the new version is half written
        building = tmp_path / publish.VERSIONS / f"{publish.BUILDING}crashing-run"
        assert building.is_dir()
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert _read(tmp_path)[:2] == (10, 10)
    assert publish.database_path(tmp_path).read_bytes() == database_bytes
    assert publish.manifest_path(tmp_path).read_bytes() == manifest_bytes
    assert json.loads(manifest_bytes)["run_id"] == before.manifest["run_id"]
    with duckdb.connect(str(publish.database_path(tmp_path)), read_only=True) as reader:
        assert reader.execute("select count(*) from orders").fetchone()[0] == 10

    after = _publish(conn, tmp_path, 12, "run-after-00", day=2)  # the next publish cleans up
    assert not building.exists()
    assert _read(tmp_path)[2]["run_id"] == after.manifest["run_id"]


@pytest.mark.parametrize("name", [publish.DATABASE, publish.FOLDER])
def test_the_published_paths_are_fixed_links_into_the_current_version(
    tmp_path: Path, name: str
) -> None:
    conn = duckdb.connect()
    _publish(conn, tmp_path, 5, "run-links-00", day=1)
    link = tmp_path / name
    assert link.is_symlink() and os.readlink(link) == f"{publish.CURRENT}/{name}"
    before = (tmp_path / publish.CURRENT).resolve()
    time.sleep(0.01)
    _publish(conn, tmp_path, 6, "run-links-01", day=2)
    assert (tmp_path / publish.CURRENT).resolve() != before
    assert os.readlink(link) == f"{publish.CURRENT}/{name}"


def test_the_database_setting_defaults_to_yes_on_duckdb_and_no_on_spark() -> None:
    assert Settings.from_env({}).publish_database is True
    assert Settings.from_env({"CDP_ENGINE": "spark"}).publish_database is False
    assert Settings.from_env({"CDP_PUBLISH_DATABASE": "No"}).publish_database is False
    spark_with_database = {"CDP_ENGINE": "spark", "CDP_PUBLISH_DATABASE": " yes "}
    assert Settings.from_env(spark_with_database).publish_database is True
    with pytest.raises(SettingsError, match="^CDP_PUBLISH_DATABASE: 'true' is not yes or no$"):
        Settings.from_env({"CDP_PUBLISH_DATABASE": "true"})


def _fixed_database_link(warehouse: Path) -> str | None:
    link = publish.database_path(warehouse)
    return os.readlink(link) if link.is_symlink() else None


def test_a_publish_without_the_database_writes_the_parquet_files_and_the_manifest_only(
    tmp_path: Path,
) -> None:
    conn = _tags_and_contacts()
    publication = publish.publish(
        conn, tmp_path, [publish.TableSource("customer_tags", "src", "Not kept")],
        restricted=[publish.TableSource("customer_contacts", "contacts")],
        run_id="run-parquet0", as_of=date(2026, 3, 1), gate={}, database=False,
        say=lambda line: None,
    )
    version = tmp_path / publish.VERSIONS / publication.version
    assert sorted(p.name for p in version.iterdir()) == [publish.FOLDER, publish.RESTRICTED]
    assert sorted(p.name for p in (version / publish.FOLDER).iterdir()) == [
        publish.MANIFEST, "customer_tags.parquet"
    ]
    assert publication.database is None
    assert publication.manifest["database"] is False
    assert publication.manifest["tables"]["customer_tags"]["rows"] == 1
    assert set(publication.manifest["restricted"]) == {"customer_contacts"}
    assert (tmp_path / publish.RESTRICTED / publish.CONTACTS).stat().st_mode & 0o777 == 0o600
    link = publish.database_path(tmp_path)
    assert not link.is_symlink() and not link.exists()  # no link to a missing file
    assert publish.published_paths(tmp_path, publication.manifest) == f"{tmp_path}/published/"
    with publish.open_published(tmp_path) as reader:
        assert reader.execute("select * from customer_tags").fetchall() == [("cus_1", "c1")]
        assert reader.sql("show tables").fetchall() == [("customer_tags",)]


def test_the_fixed_link_follows_whether_the_current_version_holds_the_database(
    tmp_path: Path,
) -> None:
    conn = duckdb.connect()
    _publish(conn, tmp_path, 10, "run-db-00000", day=1)
    assert _fixed_database_link(tmp_path) == f"{publish.CURRENT}/{publish.DATABASE}"
    second = _publish(conn, tmp_path, 20, "run-no-db-00", day=2, database=False)
    assert _fixed_database_link(tmp_path) is None and not publish.database_path(tmp_path).exists()
    assert publish.read_manifest(tmp_path)["database"] is False
    with publish.open_published(tmp_path) as reader:
        assert reader.execute("select count(*) from orders").fetchone()[0] == 20
    third = _publish(conn, tmp_path, 30, "run-db-again", day=3)
    assert _fixed_database_link(tmp_path) == f"{publish.CURRENT}/{publish.DATABASE}"
    assert _read(tmp_path)[:2] == (30, 30)
    assert publish.read_manifest(tmp_path)["database"] is True
    kept = sorted(p.name for p in (tmp_path / publish.VERSIONS).iterdir())
    assert kept == sorted([second.version, third.version])  # keep=2 prunes either kind
    fourth = _publish(conn, tmp_path, 40, "run-no-db-01", day=4, database=False)
    assert _fixed_database_link(tmp_path) is None
    kept = sorted(p.name for p in (tmp_path / publish.VERSIONS).iterdir())
    assert kept == sorted([third.version, fourth.version])


TYPES = """
select range as id, range::decimal(12, 2) / 3 as amount, range / 7 as ratio,
    date '2026-03-01' + range::int as day,
    timestamptz '2026-03-01 08:00:00+08' + to_hours(range) as at,
    timestamp '2026-03-01 08:00:00' + to_minutes(range) as local_at,
    [range::varchar, null] as ids, {'a': range, 'b': 'x'} as pair,
    if(range % 3 = 0, null, '第' || range) as label, range % 2 = 0 as even
from range(50)
"""
"""A table with the column types the published tables use."""


def test_the_parquet_files_read_as_the_database_does(tmp_path: Path) -> None:
    conn = duckdb.connect()
    conn.execute(f"create table src as {TYPES}")
    for database in (True, False):
        publish.publish(
            conn, tmp_path / str(database), [publish.TableSource("customers", "src")],
            run_id="run-types-00", as_of=date(2026, 3, 1), gate={}, database=database,
            say=lambda line: None,
        )
    with (
        publish.open_published(tmp_path / "True") as from_database,
        publish.open_published(tmp_path / "False") as from_parquet,
    ):
        for sql in ("describe customers", "select * from customers order by id"):
            assert from_parquet.sql(sql).fetchall() == from_database.sql(sql).fetchall()


def test_readers_hold_the_version_current_when_they_opened_it(tmp_path: Path) -> None:
    conn = duckdb.connect()
    _publish(conn, tmp_path, 10, "run-old-0000", day=1, database=False)
    with publish.open_published(tmp_path) as reader:
        _publish(conn, tmp_path, 25, "run-new-0000", day=2, database=False)
        assert reader.execute("select count(*) from customers").fetchone()[0] == 10
    with publish.open_published(tmp_path) as reader:
        assert reader.execute("select count(*) from customers").fetchone()[0] == 25


def test_nothing_published_cannot_be_opened(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nothing published in"):
        publish.open_published(tmp_path)
