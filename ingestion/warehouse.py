"""The build database: where it lives, how to open it, and the raw schema ingestion fills.

DuckDB lets one process write a database file at a time; everything that writes the build
database opens it through `connect`, which says clearly who holds it when it is taken.
BI tools never read this file: they read the published copy (see docs/warehouse.md).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingestion.contracts import ENTITIES
from ingestion.validate import raw_table_ddl

BUILD_DATABASE = "build.duckdb"

LOADS_DDL = """
create table if not exists raw._loads (
    load_id varchar not null,
    source varchar not null,
    entity varchar not null,
    extract_date date not null,
    file varchar not null primary key,
    encoding varchar not null,
    bytes bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    loaded_at timestamptz not null
)
"""

QUARANTINE_DDL = """
create table if not exists raw._quarantine (
    load_id varchar not null,
    source varchar not null,
    entity varchar not null,
    extract_date date not null,
    file varchar not null,
    line bigint not null,
    reason varchar not null,
    record varchar,
    loaded_at timestamptz not null
)
"""


class WarehouseBusy(Exception):
    """Another process holds the build database."""


def build_database(warehouse_dir: Path) -> Path:
    return Path(warehouse_dir) / BUILD_DATABASE


def connect(
    path: Path, *, threads: int | None = None, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the build database for writing, creating the raw schema when it is new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    config: dict[str, str | int] = {}
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    try:
        conn = duckdb.connect(str(path), config=config)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseBusy(
                f"{path} is open in another process (one writer at a time): {exc}"
            ) from None
        raise
    conn.execute("set enable_progress_bar = false")
    ensure_raw_schema(conn)
    return conn


def has_table(conn: duckdb.DuckDBPyConnection, relation: str) -> bool:
    """Whether `relation` (`schema.table`) exists in the database `conn` is on."""
    schema, table = relation.split(".")
    return bool(  # fetchall: a result left unfinished keeps DuckDB's relation API off conn
        conn.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def ensure_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists raw")
    conn.execute(LOADS_DDL)
    conn.execute(QUARANTINE_DDL)
    for entity in ENTITIES:
        conn.execute(raw_table_ddl(entity))
