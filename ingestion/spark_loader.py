"""Ingestion on Spark (`CDP_ENGINE=spark`): the extracts read by Spark into Parquet tables.

Which files a run loads is decided as on DuckDB (`ingestion.loader`): the files not in the
load log `raw._loads` of the build database, and the files of the reload dates. Spark then
reads them where they lie: its `binaryFile` source hands each file's bytes to a Python worker
(`mapInArrow`), which puts them through the same reader and the same row contract as on
DuckDB (`ingestion.readers`, the SQL of `ingestion.validate` on an in-memory DuckDB inside
the worker). Both engines therefore type and check every value alike, line numbers, encodings
and files unreadable as a whole included.

Spark writes the rows that pass to `<warehouse>/spark/raw/<table>/`, partitioned by
`_extract_date`: one partition per extract file. A load replaces the partitions of its files
and no other (Parquet has no delete: a partition is replaced, never appended to); a file
loaded again with no good row left, or gone from a reloaded folder, loses its partition. A
table with no partition yet is one empty Parquet file holding its columns, so Spark knows
them. dbt's on-run-start hook and the quality gate register each folder as `raw.<table>`,
recovering its partitions.

The bad rows and one row per file come back to the driver (they are few) and go into
`raw._quarantine` and `raw._loads` in one transaction once the partitions are written; both
log tables are then written whole to `<warehouse>/spark/raw/_loads/` and `_quarantine/`. A run
that dies in between loads those files again the next time, replacing the same partitions.

The raw tables of the build database stay empty on Spark: a warehouse is built by one engine.
The folders are the Spark session's local file system (the warehouse folder, as dbt's
`spark` target); on a cluster it is a folder every node reads.
"""

from __future__ import annotations

import functools
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from cdp.settings import IngestSettings
from ingestion.contracts import ENTITIES, Entity, entity as entity_named
from ingestion.errors import IngestionStopped, UnreadableExtract
from ingestion.loader import (
    FILES_SQL,
    QUARANTINED_SQL,
    EntityStats,
    ExtractFile,
    IngestReport,
    LoadPlan,
    Progress,
    ReadFile,
    clean_up,
    forget_files,
    good_rows_sql,
    os_problem,
    read_extract,
    record_loads,
    register_batch,
    stage,
    transaction,
)

RAW_FOLDER = Path("spark") / "raw"
"""Under the warehouse folder: a Parquet folder per raw table, and the two log tables."""
LOG_TABLES = ("_loads", "_quarantine")
PARTITION = "_extract_date"

_SPARK_TYPES = {
    "varchar": "string",
    "json": "string",
    "timestamp": "timestamp_ntz",
    "date": "date",
    "decimal(18, 2)": "decimal(18, 2)",
    "bigint": "bigint",
}
"""The Spark type of each contract type (ingestion.contracts.Column.sql_type); a timestamp
of an extract is Asia/Shanghai wall-clock time, without a zone, as DuckDB's `timestamp`."""

_META = (
    ("_extract_date", "date"),
    ("_file", "string"),
    ("_line", "bigint"),
    ("_encoding", "string"),
)
_CHECKED = (
    ("_reason", "string"),
    ("_raw", "string"),
    ("_bytes", "bigint"),
    ("_rows_loaded", "bigint"),
    ("_rows_quarantined", "bigint"),
)
ROW, QUARANTINED, FILE, UNREADABLE = "row", "quarantined", "file", "unreadable"
"""What a row of the workers' output is (`_kind`): a good row, a bad one, a file accepted
(its counts), a file unreadable as a whole (`_file` its path, `_reason` the problem)."""


def spark_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _columns(entity: Entity) -> list[str]:
    """The Spark columns of the extract's contract, each with its type."""
    return [f"{spark_ident(c.name)} {_SPARK_TYPES[c.sql_type]}" for c in entity.columns]


def raw_schema(entity: Entity) -> str:
    """The Spark schema of the raw table of `entity`, as on DuckDB."""
    meta = [f"{name} {kind}" for name, kind in _META]
    return ", ".join([*_columns(entity), *meta, "_loaded_at timestamp", "_load_id string"])


def _checked_schema(entity: Entity) -> str:
    rest = [f"{name} {kind}" for name, kind in (*_META, *_CHECKED)]
    return ", ".join(["_kind string", *_columns(entity), *rest])


def ingest_on_spark(
    session: Any,
    conn: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    warehouse_dir: Path,
    *,
    dates: Iterable[date] | None = None,
    entities: Iterable[Entity] = ENTITIES,
    reload: Iterable[date] = (),
    progress: Progress | None = None,
    settings: IngestSettings | None = None,
) -> IngestReport:
    """Load what is not loaded yet (and the `reload` dates again) with `session`; `conn` is
    the build database, which keeps the load log. See the module docstring."""
    settings = settings or IngestSettings.from_env()
    started = time.perf_counter()
    say = progress or (lambda _line: None)
    entities = tuple(entities)
    load_id = uuid.uuid4().hex
    loaded_at = datetime.now(timezone.utc)
    plan = LoadPlan.of(conn, landing_dir, entities, dates=dates, reload=reload)
    report = plan.report
    folder = warehouse_dir / RAW_FOLDER
    for entity in entities:
        stats = report.entities.setdefault(entity.label, EntityStats())
        pending = plan.pending(entity)
        table = _RawTable(folder / entity.table)
        if vanished := plan.vanished(entity):
            table.drop(date.fromisoformat(name.split("/")[1]) for name in vanished)
            with transaction(conn):
                forget_files(conn, vanished)
        if pending:
            say(f"{entity.label}: reading {len(pending)} file(s) on Spark")
            entity_started = time.perf_counter()
            _load(session, conn, entity, pending, table, stats, say, load_id, loaded_at, settings)
            stats.seconds = time.perf_counter() - entity_started
        table.keep_schema(session, entity)
    _write_logs(conn, folder)
    report.seconds = time.perf_counter() - started
    return report


def _load(
    session: Any,
    conn: duckdb.DuckDBPyConnection,
    entity: Entity,
    pending: list[ExtractFile],
    table: "_RawTable",
    stats: EntityStats,
    say: Progress,
    load_id: str,
    loaded_at: datetime,
    settings: IngestSettings,
) -> None:
    """Read, check and write the `pending` files of `entity`, then record them in the log."""
    readable = []
    for extract in pending:
        problem = _unreadable_path(extract)
        if problem is None:
            readable.append(extract)
        else:
            stats.unreadable.append(problem)
            say(f"unreadable: {problem}")
    if not readable:
        return
    files = {os.path.abspath(f.path): (f.extract_date.isoformat(), str(f.path)) for f in readable}
    schema = _checked_schema(entity)
    check = functools.partial(_check_files, entity.label, files, settings, _arrow(session, schema))
    checked = (
        session.read.format("binaryFile")
        .load(list(files))
        .select("path", "content")
        .mapInArrow(check, schema)
        .persist()
    )
    try:
        logged = checked.where(f"_kind <> '{ROW}'").toArrow()
        for row in _of_kind(logged, UNREADABLE).to_pylist():
            problem = UnreadableExtract(row["_file"], row["_line"], row["_reason"])
            stats.unreadable.append(problem)
            say(f"unreadable: {problem}")
        accepted = _of_kind(logged, FILE)
        days = list(zip(accepted.column(PARTITION).to_pylist(),
                        accepted.column("_rows_loaded").to_pylist()))
        if any(rows for _, rows in days):
            table.write(
                checked.where(f"_kind = '{ROW}'").selectExpr(
                    *(spark_ident(c.name) for c in entity.columns),
                    *(name for name, _ in _META),
                    f"timestamp'{loaded_at.isoformat()}' as _loaded_at",
                    f"'{load_id}' as _load_id",
                )
            )
        table.drop([day for day, rows in days if not rows])
    finally:
        checked.unpersist()
    try:
        with transaction(conn):
            forget_files(conn, accepted.column("_file").to_pylist())
            conn.register("_spark_quarantined", _of_kind(logged, QUARANTINED))
            conn.register("_spark_files", accepted)
            counts = record_loads(
                conn, entity, "_spark_quarantined", "_spark_files", load_id, loaded_at
            )
    except (duckdb.Error, OSError) as exc:  # its partitions are written: the next run redoes it
        raise IngestionStopped(
            f"ingestion stopped: {entity.label}: recording {len(accepted)} file(s) in the load "
            f"log failed: {' '.join(str(exc).split())}"
        ) from exc
    finally:
        for name in ("_spark_quarantined", "_spark_files"):
            conn.unregister(name)
    stats.files += len(counts)
    stats.rows += sum(c[0] for c in counts)
    stats.quarantined += sum(c[1] for c in counts)
    stats.bytes += sum(c[2] for c in counts)


def _of_kind(table: pa.Table, kind: str) -> pa.Table:
    return table.filter(pc.equal(table.column("_kind"), kind))


def _unreadable_path(extract: ExtractFile) -> UnreadableExtract | None:
    """What the operating system says of a file it will not let us read (permission denied,
    a directory or a dangling link where the file should be); None for a readable file.
    Spark would fail the whole load on it; DuckDB's loader reports it and goes on."""
    try:
        with open(extract.path, "rb"):
            return None
    except OSError as exc:
        return UnreadableExtract(str(extract.path), None, os_problem(exc))


def _write_logs(conn: duckdb.DuckDBPyConnection, folder: Path) -> None:
    """Write `raw._loads` and `raw._quarantine` whole to their Parquet folders."""
    for name in LOG_TABLES:
        target = folder / name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        conn.execute(f"copy raw.{name} to '{target / 'part-0.parquet'}' (format parquet)")


def _arrow(session: Any, schema: str) -> pa.Schema:
    """The Arrow schema of the batches a worker returns for the Spark `schema`."""
    from pyspark.sql.pandas.types import to_arrow_schema

    large = session.conf.get("spark.sql.execution.arrow.useLargeVarTypes", "false") == "true"
    struct = session.createDataFrame([], schema).schema
    return to_arrow_schema(struct, prefers_large_types=large)


def _check_files(
    label: str,
    files: dict[str, tuple[str, str]],
    settings: IngestSettings,
    schema: pa.Schema,
    batches: Iterator[pa.RecordBatch],
) -> Iterator[pa.RecordBatch]:
    """In a Spark worker: read and check the files of each batch (`path`, `content`) as
    DuckDB's loader does, on an in-memory DuckDB; every good row, bad row, accepted file and
    unreadable file as a row of `_checked_schema`. `files` maps a file's absolute path to its
    extract date and the path its messages show."""
    entity = entity_named(label)
    conn = duckdb.connect(config={"threads": 1})
    for batch in batches:
        read, unreadable = [], []
        for uri, content in zip(batch.column("path").to_pylist(), batch.column("content").to_pylist()):
            day, shown = files[unquote(urlparse(uri).path)]
            extract = ExtractFile(entity, date.fromisoformat(day), Path(shown))
            try:
                read.append(ReadFile(extract, read_extract(extract, content), len(content)))
            except UnreadableExtract as exc:
                unreadable.append(exc)
        if read:
            register_batch(conn, read)
            unreadable += stage(conn, entity, read, settings)
            for kind, sql in (
                (ROW, good_rows_sql(entity)),
                (QUARANTINED, QUARANTINED_SQL),
                (FILE, FILES_SQL),
            ):
                yield from _widen(conn.sql(sql).to_arrow_table(), kind, schema).to_batches()
            clean_up(conn)
        if unreadable:
            found = pa.table({
                "_file": [e.file for e in unreadable],
                "_line": pa.array([e.line for e in unreadable], pa.int64()),
                "_reason": [e.problem for e in unreadable],
            })
            yield from _widen(found, UNREADABLE, schema).to_batches()
    conn.close()


def _widen(table: pa.Table, kind: str, schema: pa.Schema) -> pa.Table:
    """`table` as a table of `schema`: `_kind` set, absent columns null."""
    arrays = []
    for field in schema:
        if field.name == "_kind":
            arrays.append(pa.array([kind] * table.num_rows, field.type))
        elif field.name in table.column_names:
            arrays.append(table.column(field.name).cast(field.type))
        else:
            arrays.append(pa.nulls(table.num_rows, field.type))
    return pa.table(arrays, schema=schema)


class _RawTable:
    """A raw table's Parquet folder: a partition per extract date, or, with none, one empty
    file holding the table's columns."""

    def __init__(self, folder: Path):
        self.folder = folder

    def partitions(self) -> list[Path]:
        return sorted(self.folder.glob(f"{PARTITION}=*")) if self.folder.is_dir() else []

    def write(self, rows: Any) -> None:
        """Replace the partitions of the dates in `rows` (a Spark DataFrame), no other."""
        if not self.partitions():
            shutil.rmtree(self.folder, ignore_errors=True)  # the empty file of no partition
        (
            rows.write.mode("overwrite")
            .option("partitionOverwriteMode", "dynamic")
            .partitionBy(PARTITION)
            .parquet(str(self.folder))
        )

    def drop(self, days: Iterable[date]) -> None:
        for day in days:
            shutil.rmtree(self.folder / f"{PARTITION}={day.isoformat()}", ignore_errors=True)

    def keep_schema(self, session: Any, entity: Entity) -> None:
        """With no partition left, an empty file with the table's columns."""
        if not self.partitions() and not any(self.folder.glob("*.parquet")):
            session.createDataFrame([], raw_schema(entity)).write.mode("overwrite").parquet(
                str(self.folder)
            )
