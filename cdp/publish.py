"""Publishing (published.md): the published tables, built aside and swapped in atomically.

Under the warehouse folder:

    published.duckdb -> current/published.duckdb     (symlinks, fixed; the first only while
    published        -> current/published             the current version holds a database)
    current          -> versions/<version>           (the one link a publish replaces)
    versions/<version>/published.duckdb              the tables, DuckDB 1.4 storage format
                                                     (unless the publish writes no database)
    versions/<version>/published/<table>.parquet     the same tables as Parquet
    versions/<version>/published/_manifest.json      run id, as-of date, rows and checksums
    restricted       -> current/restricted
    versions/<version>/restricted/contacts.duckdb    the clear contact fields (mode 0600)

A publish writes a new version folder beside the others (`versions/.building-<run id>`),
renames it into place when complete, then replaces the `current` link with one `rename`,
which is atomic: a reader opening `published.duckdb` or `published/…` sees the old
version or the new one, never a mix, and a reader holding an old file open keeps reading it
(the nightly run never opens a published file for writing, so it never waits on a reader).
A crash before the rename leaves the previous version current; the half-built folder is
removed by the next publish. The newest `keep` versions stay on disk.

The published files are read-only (mode 0444): an analyst who opens `published.duckdb`
without `read_only=True` cannot write into the version every BI tool reads (root excepted,
whom file modes do not stop). The restricted tables (the golden record's name and birthday,
published.md) go to `restricted/contacts.duckdb`, readable by its owner only (0600, in a
0700 folder), in the same version and manifest (`restricted`), never to the published files.

`published.duckdb` is written only when asked (`database=True`; the setting
CDP_PUBLISH_DATABASE, `yes` on DuckDB and `no` on Spark by default). Without it a version holds
the Parquet files, the manifest (`"database": false`) and the restricted file, and when such a
version becomes current the fixed link `published.duckdb` is removed rather than left pointing
at a missing file; the next version with a database creates it again. The readers of the
project open a publish with `open_published` (or `attach_published`), which reads the
database when the current version holds one and its Parquet files otherwise.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

STORAGE_VERSION = "v1.4.0"
"""published.duckdb's storage format: DuckDB 1.4 and later read it (BI drivers bundle older
DuckDB versions than the build uses)."""
DATABASE = "published.duckdb"
FOLDER = "published"
MANIFEST = "_manifest.json"
RESTRICTED = "restricted"
CONTACTS = "contacts.duckdb"
READ_ONLY = 0o444
OWNER_ONLY = 0o600
OWNER_ONLY_FOLDER = 0o700
CURRENT = "current"
VERSIONS = "versions"
BUILDING = ".building-"


@dataclass(frozen=True)
class TableSource:
    """A published table, the relation of the build database it is copied from, and its
    documentation (the dbt model's descriptions), kept as comments in published.duckdb."""

    name: str
    relation: str
    description: str = ""
    columns: tuple[tuple[str, str], ...] = ()
    """(column, description) of the documented columns."""


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _comment(conn: duckdb.DuckDBPyConnection, table: TableSource, target: str) -> None:
    """The table's and its columns' descriptions as comments, which BI tools and
    `duckdb_columns()` show to whoever reads the published database."""
    if table.description:
        conn.execute(f"comment on table {target} is {_quoted(table.description)}")
    for column, description in table.columns:
        if description:
            conn.execute(f'comment on column {target}."{column}" is {_quoted(description)}')


def database_path(warehouse_dir: Path) -> Path:
    return Path(warehouse_dir) / DATABASE


def folder_path(warehouse_dir: Path) -> Path:
    return Path(warehouse_dir) / FOLDER


def manifest_path(warehouse_dir: Path) -> Path:
    return folder_path(warehouse_dir) / MANIFEST


def published_paths(warehouse_dir: Path, manifest: Mapping[str, Any]) -> str:
    """What the version of `manifest` holds, as the run's last line names it:
    `<warehouse>/published.duckdb and <warehouse>/published/`, or the folder alone."""
    folder = f"{folder_path(warehouse_dir)}/"
    if manifest.get("database", True):  # a manifest without the field: an older publish, with it
        return f"{database_path(warehouse_dir)} and {folder}"
    return folder


def attach_published(conn: duckdb.DuckDBPyConnection, warehouse_dir: Path, name: str) -> None:
    """The current publish of `warehouse_dir` as the catalog `name` of `conn`, for reading: its
    published.duckdb, attached read-only, when the version holds one; else an in-memory catalog
    with one view per `published/<table>.parquet`. Either reads the one version that was
    current when attached (the views name its files, not the fixed links), while it stays on
    disk (`keep`). Nothing published raises FileNotFoundError."""
    folder = folder_path(warehouse_dir).resolve()
    database = folder.parent / DATABASE
    if database.is_file():
        conn.execute(f"attach {_quoted(str(database))} as {_identifier(name)} (read_only)")
        return
    if not folder.is_dir():
        raise FileNotFoundError(f"nothing published in {warehouse_dir}")
    conn.execute(f"attach ':memory:' as {_identifier(name)}")
    for parquet in sorted(folder.glob("*.parquet")):
        conn.execute(
            f"create view {_identifier(name)}.main.{_identifier(parquet.stem)} as "
            f"select * from read_parquet({_quoted(str(parquet))})"
        )


def open_published(warehouse_dir: Path) -> duckdb.DuckDBPyConnection:
    """A connection that reads the current publish's tables by their names (attach_published:
    published.duckdb, or the Parquet files of a version without it); it writes to no file."""
    conn = duckdb.connect()
    try:
        attach_published(conn, warehouse_dir, FOLDER)
        conn.execute(f"use {FOLDER}")
    except BaseException:
        conn.close()
        raise
    return conn


def read_manifest(warehouse_dir: Path) -> dict[str, Any] | None:
    """The manifest of the current publish; None before the first one."""
    path = manifest_path(warehouse_dir)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def last_published_as_of(warehouse_dir: Path) -> date | None:
    manifest = read_manifest(warehouse_dir)
    return date.fromisoformat(manifest["as_of_date"]) if manifest else None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_tables(
    conn: duckdb.DuckDBPyConnection,
    tables: Sequence[TableSource],
    folder: Path,
    say: Callable[[str], None],
    *,
    database: bool,
) -> dict[str, dict[str, Any]]:
    """Copy every table into `folder`/published/<table>.parquet and, with `database`, into
    `folder`/published.duckdb (the Parquet file then copied from it), rows in a fixed order
    (so the same data gives the same files)."""
    parquet_dir = folder / FOLDER
    parquet_dir.mkdir(parents=True)
    target = folder / DATABASE
    if database:
        conn.execute(f"attach '{target}' as publish_target (storage_version '{STORAGE_VERSION}')")
    written: dict[str, dict[str, Any]] = {}
    try:
        for table in tables:
            query = f"select * from {table.relation} order by all"
            if database:
                conn.execute(f"create table publish_target.main.{table.name} as {query}")
                _comment(conn, table, f"publish_target.main.{table.name}")
                query = f"select * from publish_target.main.{table.name}"
            parquet = parquet_dir / f"{table.name}.parquet"
            [(rows,)] = conn.execute(
                f"copy ({query}) to '{parquet}' (format parquet, compression zstd)"
            ).fetchall()
            parquet.chmod(READ_ONLY)
            written[table.name] = {"rows": rows, "file": parquet.name, "sha256": sha256_of(parquet)}
            say(f"publish: {table.name} {rows:,} rows")
    finally:
        if database:
            conn.execute("detach publish_target")
    if database:
        target.chmod(READ_ONLY)
    return written


def _write_restricted(
    conn: duckdb.DuckDBPyConnection,
    tables: Sequence[TableSource],
    folder: Path,
    say: Callable[[str], None],
) -> dict[str, dict[str, Any]]:
    """Copy the restricted tables into `folder`/restricted/contacts.duckdb (mode 0600), in a
    folder that is its owner's alone (0700) before DuckDB writes a byte of it."""
    if not tables:
        return {}
    restricted = folder / RESTRICTED
    restricted.mkdir(mode=OWNER_ONLY_FOLDER)
    database = restricted / CONTACTS
    conn.execute(f"attach '{database}' as restricted_target (storage_version '{STORAGE_VERSION}')")
    counts: dict[str, int] = {}
    try:
        for table in tables:
            target = f"restricted_target.main.{table.name}"
            conn.execute(f"create table {target} as select * from {table.relation} order by all")
            _comment(conn, table, target)
            counts[table.name] = conn.execute(f"select count(*) from {target}").fetchone()[0]
            say(f"publish: {table.name} {counts[table.name]:,} rows (restricted)")
    finally:
        conn.execute("detach restricted_target")
    database.chmod(OWNER_ONLY)
    checksum = sha256_of(database)
    file = f"{RESTRICTED}/{CONTACTS}"
    return {name: {"rows": rows, "file": file, "sha256": checksum} for name, rows in counts.items()}


def _swap_link(link: Path, target: str) -> None:
    """Point `link` at `target` atomically (a new link renamed over the old one)."""
    temporary = link.with_name(f".{link.name}.new")
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(target)
    os.replace(temporary, link)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _ensure_fixed_links(warehouse_dir: Path, database: bool) -> None:
    """The fixed links into `current`; `published.duckdb` only when the current version holds
    the database (a link to a missing file would fail whoever opens it, saying nothing why)."""
    for name in (DATABASE, FOLDER, RESTRICTED):
        link = warehouse_dir / name
        if name == DATABASE and not database:
            _remove(link)
        elif not link.is_symlink():
            _remove(link)
            _swap_link(link, f"{CURRENT}/{name}")


def _drop_half_built(versions: Path) -> None:
    for stale in versions.glob(f"{BUILDING}*"):
        shutil.rmtree(stale, ignore_errors=True)


def _prune(warehouse_dir: Path, keep: int) -> None:
    """Keep the newest `keep` versions (names start with the publish time), never the
    current one. A reader still holding a dropped file keeps reading it until it closes."""
    versions = warehouse_dir / VERSIONS
    current = Path(os.readlink(warehouse_dir / CURRENT)).name
    done = sorted(p for p in versions.iterdir() if not p.name.startswith("."))
    for old in done[: max(0, len(done) - keep)]:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)


@dataclass(frozen=True)
class Publication:
    version: str
    manifest: dict[str, Any]
    database: Path | None
    """The fixed path of published.duckdb; None when the publish wrote no database."""
    folder: Path


def publish(
    conn: duckdb.DuckDBPyConnection,
    warehouse_dir: Path,
    tables: Sequence[TableSource],
    *,
    restricted: Sequence[TableSource] = (),
    run_id: str,
    as_of: date,
    gate: dict[str, Any],
    keep: int = 3,
    database: bool = True,
    say: Callable[[str], None] = print,
) -> Publication:
    """Write the tables (and the restricted ones apart) as a new version and make it
    current; `database`: published.duckdb too, beside the Parquet files."""
    warehouse_dir = Path(warehouse_dir)
    versions = warehouse_dir / VERSIONS
    versions.mkdir(parents=True, exist_ok=True)
    _drop_half_built(versions)
    published_at = datetime.now(timezone.utc)
    version = f"{published_at:%Y%m%dT%H%M%S%fZ}-{run_id[:8]}"
    building = versions / f"{BUILDING}{run_id}"
    try:
        manifest = _write_version(
            conn, tables, restricted, building, run_id=run_id, as_of=as_of, gate=gate,
            published_at=published_at, version=version, database=database, say=say,
        )
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)  # a full disk leaves no half version
        raise
    os.replace(building, versions / version)
    _swap_link(warehouse_dir / CURRENT, f"{VERSIONS}/{version}")
    _ensure_fixed_links(warehouse_dir, database)
    _prune(warehouse_dir, keep)
    return Publication(
        version=version,
        manifest=manifest,
        database=database_path(warehouse_dir) if database else None,
        folder=folder_path(warehouse_dir),
    )


def _write_version(
    conn: duckdb.DuckDBPyConnection,
    tables: Sequence[TableSource],
    restricted: Sequence[TableSource],
    building: Path,
    *,
    run_id: str,
    as_of: date,
    gate: dict[str, Any],
    published_at: datetime,
    version: str,
    database: bool,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Write a whole version into `building`; returns its manifest."""
    written = _write_tables(conn, tables, building, say, database=database)
    written_restricted = _write_restricted(conn, restricted, building, say)
    manifest = {
        "run_id": run_id,
        "as_of_date": as_of.isoformat(),
        "published_at": published_at.isoformat(timespec="seconds"),
        "version": version,
        "storage_version": STORAGE_VERSION,
        "database": database,
        "gate": gate,
        "tables": written,
        "restricted": written_restricted,
    }
    manifest_file = building / FOLDER / MANIFEST
    manifest_file.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    manifest_file.chmod(READ_ONLY)
    return manifest
