"""Load extract files into the raw tables of the build database.

Every file not yet loaded (its path is not in `raw._loads`) with an extract date ≤ the as-of
date is read, checked row by row, and written in one transaction together with its load
record: good rows to `raw.<source>__<entity>`, bad rows to `raw._quarantine`. Loading again
adds nothing. `reload` names extract dates whose files are loaded again on purpose: their
old rows are replaced in the same transaction, so a reader never sees a mix. A file that
cannot be read is reported (`UnreadableExtract`) and nothing of it is loaded; the other files
still load. That includes a file the operating system refuses to read (permission denied, an
I/O error, a directory or a dangling link where the file should be): named with its OS error.

A folder under a source whose name is not an extract date (`member/2026-02-30/`, `member/old/`)
is skipped: `not_date_folders` lists them, and `cdp run`, the ingestion step and the sensor
each warn in one line naming it (docs/landing-zone.md). Hidden folders (`.name`) are ignored.

When the build database cannot be written (a full disk, an I/O error), ingestion stops with
`IngestionStopped`, one line naming the entity, the files being written, the database and the
error; what was written before stays loaded, and a re-run goes on from there.

Files are read in batches (BATCH_ROWS, BATCH_BYTES). While DuckDB writes one batch (a
thread of its own), the next is read: reading (Arrow's parser, the encoding check) and
writing (the row contract in SQL, the insert) then share the cores instead of taking turns.
At most two batches are in memory; only the writer thread uses the connection while it runs.

A batch's checks are functions of a DuckDB connection (`register_batch`, `stage`, then
`good_rows_sql`, QUARANTINED_SQL and FILES_SQL): ingestion/spark_loader.py runs the same ones
inside Spark's workers, on an in-memory DuckDB.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from cdp.settings import IngestSettings
from ingestion.contracts import ENTITIES, Entity
from ingestion.errors import IngestionStopped, UnreadableExtract
from ingestion.readers import ReadResult, read_csv, read_jsonl
from ingestion.validate import ident, staged_sql

DATE_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")
BATCH_ROWS = 2_000_000
BATCH_BYTES = 256_000_000
CARRIED = ("_file", "_encoding", "_extract_date")
"""A batch is written once it holds this many rows or file bytes (memory stays bounded)."""
UNREADABLE_SHARE = 0.9
UNREADABLE_MIN_BAD = 10
"""A file with at least this share of its records quarantined, and at least this many, is
unreadable instead (a file of a few records, all bad, is quarantined row by row: one bad
callback in a quiet day's contact events is a bad row, not a wrong file)."""

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ExtractFile:
    entity: Entity
    extract_date: date
    path: Path

    @property
    def name(self) -> str:
        """The path inside the landing zone, as stored in `_file` and `raw._loads`."""
        return f"{self.entity.source}/{self.extract_date.isoformat()}/{self.entity.file_name}"


@dataclass
class EntityStats:
    files: int = 0
    rows: int = 0
    quarantined: int = 0
    bytes: int = 0
    seconds: float = 0.0
    unreadable: list[UnreadableExtract] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return (self.rows + self.quarantined) / self.seconds if self.seconds else 0.0

    def line(self, label: str) -> str:
        """One readable line: files, rows, quarantined rows and speed."""
        return (
            f"{label:<28} {self.files:>5} files {self.rows:>12,} rows "
            f"{self.quarantined:>7,} quarantined {self.rows_per_second:>12,.0f} rows/s"
        )


@dataclass
class IngestReport:
    entities: dict[str, EntityStats] = field(default_factory=dict)
    already_loaded: int = 0
    seconds: float = 0.0
    skipped_folders: list[Path] = field(default_factory=list)
    """Folders under a source whose names are not extract dates (not loaded)."""

    @property
    def warnings(self) -> list[str]:
        return [skipped_folder_warning(folder) for folder in self.skipped_folders]

    @property
    def errors(self) -> list[UnreadableExtract]:
        return [e for s in self.entities.values() for e in s.unreadable]

    @property
    def files(self) -> int:
        return sum(s.files for s in self.entities.values())

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.entities.values())

    @property
    def quarantined(self) -> int:
        return sum(s.quarantined for s in self.entities.values())

    def lines(self) -> list[str]:
        """A short summary a person can read: one line per entity, then the totals."""
        out = [s.line(label) for label, s in self.entities.items() if s.files]
        out.append(
            f"ingested {self.files} files, {self.rows:,} rows, {self.quarantined:,} quarantined "
            f"in {self.seconds:.1f}s; {self.already_loaded} files already loaded; "
            f"{len(self.errors)} unreadable"
        )
        out.extend(f"unreadable: {e}" for e in self.errors)
        return out


def folder_date(name: str) -> date | None:
    """The extract date a folder name stands for (`YYYY-MM-DD`, a real day), else None."""
    if not DATE_FOLDER.match(name):
        return None
    try:
        return date.fromisoformat(name)
    except ValueError:  # 2026-02-30, 2026-13-01
        return None


def _date_folders(source_dir: Path) -> Iterable[tuple[Path, date | None]]:
    """The visible folders of a source folder with their extract dates (None: not a date)."""
    if not source_dir.is_dir():
        return []
    return [
        (folder, folder_date(folder.name))
        for folder in sorted(source_dir.iterdir())
        if folder.is_dir() and not folder.name.startswith(".")
    ]


def not_date_folders(landing_dir: Path, entities: Iterable[Entity] = ENTITIES) -> list[Path]:
    """The folders under the sources of `entities` whose names are not extract dates: they are
    skipped, and whoever runs ingestion says so (`skipped_folder_warning`)."""
    sources = sorted({entity.source for entity in entities})
    return [
        folder
        for source in sources
        for folder, extract_date in _date_folders(Path(landing_dir) / source)
        if extract_date is None
    ]


def skipped_folder_warning(folder: Path) -> str:
    return f"skipped {folder}: not an extract date (YYYY-MM-DD); its files are not loaded"


def discover(
    landing_dir: Path,
    *,
    as_of: date | None = None,
    dates: Iterable[date] | None = None,
    entities: Iterable[Entity] = ENTITIES,
) -> list[ExtractFile]:
    """Every extract file of `entities` dated ≤ `as_of` (and in `dates` if given).

    A folder whose name is not a date is left out (see `not_date_folders`). Anything at an
    extract's path counts, not only a regular file: a directory or a dangling link there is
    reported as unreadable when loaded, not passed over in silence.
    """
    wanted = set(dates) if dates is not None else None
    found = []
    for entity in entities:
        for folder, extract_date in _date_folders(Path(landing_dir) / entity.source):
            if extract_date is None:
                continue
            if as_of is not None and extract_date > as_of:
                continue
            if wanted is not None and extract_date not in wanted:
                continue
            path = folder / entity.file_name
            if os.path.lexists(path):
                found.append(ExtractFile(entity, extract_date, path))
    return found


def read_extract(extract: ExtractFile, data: bytes) -> ReadResult:
    shown = str(extract.path)
    if extract.entity.fmt == "csv":
        return read_csv(data, extract.entity, shown)
    return read_jsonl(data, shown)


@dataclass
class LoadPlan:
    """What a load reads: the extract files found, those already loaded, the reload dates,
    and the report it fills (both engines' loaders start from it)."""

    report: IngestReport
    files: list[ExtractFile]
    loaded: set[str]
    reload: set[date]

    @classmethod
    def of(
        cls,
        conn: duckdb.DuckDBPyConnection,
        landing_dir: Path,
        entities: tuple[Entity, ...],
        *,
        as_of: date | None = None,
        dates: Iterable[date] | None = None,
        reload: Iterable[date] = (),
    ) -> "LoadPlan":
        """The plan over the build database's load log; a reload date with nothing to reload
        is refused (`check_reload_dates`)."""
        reload = set(reload)
        files = discover(landing_dir, as_of=as_of, dates=dates, entities=entities)
        if reload:
            check_reload_dates(conn, landing_dir, reload, files)
        report = IngestReport(skipped_folders=not_date_folders(landing_dir, entities))
        return cls(report, files, loaded_files(conn), reload)

    def pending(self, entity: Entity) -> list[ExtractFile]:
        """The files of `entity` to load: new ones and those of the reload dates (the others
        count as already loaded)."""
        mine = [f for f in self.files if f.entity == entity]
        pending = [f for f in mine if f.name not in self.loaded or f.extract_date in self.reload]
        self.report.already_loaded += len(mine) - len(pending)
        return pending

    def vanished(self, entity: Entity) -> list[str]:
        """The loaded files of `entity` gone from a reloaded folder: their rows go too."""
        present = {f.name for f in self.files if f.entity == entity}
        names = {f"{entity.source}/{d.isoformat()}/{entity.file_name}" for d in self.reload}
        return sorted((names & self.loaded) - present)


def ingest(
    conn: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    *,
    as_of: date | None = None,
    dates: Iterable[date] | None = None,
    entities: Iterable[Entity] = ENTITIES,
    reload: Iterable[date] = (),
    progress: Progress | None = None,
    settings: IngestSettings | None = None,
) -> IngestReport:
    """Load what is not loaded yet (and the `reload` dates again); see the module docstring.
    `settings` bound the row contract (default: from the environment, CDP_MAX_AMOUNT)."""
    settings = settings or IngestSettings.from_env()
    started = time.perf_counter()
    say = progress or (lambda _line: None)
    entities = tuple(entities)
    batch_id = uuid.uuid4().hex
    loaded_at = datetime.now(timezone.utc)
    plan = LoadPlan.of(conn, landing_dir, entities, as_of=as_of, dates=dates, reload=reload)
    report = plan.report
    database = _database_path(conn)
    entity = None
    try:
        with _Writer() as writer:
            for entity in entities:
                stats = report.entities.setdefault(entity.label, EntityStats())
                pending = plan.pending(entity)
                if vanished := plan.vanished(entity):
                    writer.wait()
                    with transaction(conn):
                        _delete_file_rows(conn, entity, vanished)
                if not pending:
                    continue
                say(f"{entity.label}: loading {len(pending)} file(s)")
                loader = _EntityLoader(
                    conn, entity, batch_id, loaded_at, stats, say, writer, settings
                )
                for extract in pending:
                    loader.add(extract)
                loader.flush()
    except _BatchFailed as failed:
        report.seconds = time.perf_counter() - started
        raise IngestionStopped(
            f"ingestion stopped: {failed.entity.label}: writing {_files_named(failed.names)} "
            f"into {database} failed: {_one_line(failed.error)}",
            report,
        ) from failed.error
    except (duckdb.Error, OSError) as exc:
        report.seconds = time.perf_counter() - started
        what = f"{entity.label}: " if entity is not None else ""
        raise IngestionStopped(
            f"ingestion stopped: {what}writing into {database} failed: {_one_line(exc)}", report
        ) from exc
    report.seconds = time.perf_counter() - started
    return report


def _database_path(conn: duckdb.DuckDBPyConnection) -> str:
    """The file of the connection's database (for messages)."""
    rows = conn.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()
    return rows[0][0] if rows and rows[0][0] else "the build database"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _files_named(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    return f"{len(names)} files ({names[0]} .. {names[-1]})"


class _BatchFailed(Exception):
    """Writing a batch failed: which entity and files, and the error."""

    def __init__(self, entity: Entity, names: list[str], error: BaseException):
        super().__init__(str(error))
        self.entity = entity
        self.names = names
        self.error = error


def loaded_files(conn: duckdb.DuckDBPyConnection) -> set[str]:
    """The landing-zone paths of every file already loaded."""
    return {row[0] for row in conn.execute("select file from raw._loads").fetchall()}


def pending_files(
    conn: duckdb.DuckDBPyConnection, landing_dir: Path, *, as_of: date | None = None
) -> list[ExtractFile]:
    """The extract files dated ≤ `as_of` that are not loaded yet."""
    loaded = loaded_files(conn)
    return [f for f in discover(landing_dir, as_of=as_of) if f.name not in loaded]


def check_reload_dates(
    conn: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    reload: Iterable[date],
    files: list[ExtractFile] | None = None,
) -> None:
    """Refuse (ValueError) a reload date with neither an extract folder nor loaded rows."""
    reload = set(reload)
    present = {f.extract_date for f in (discover(landing_dir) if files is None else files)}
    loaded = {
        row[0]
        for row in conn.execute(
            "select distinct extract_date from raw._loads where extract_date in "
            "(select unnest(?::date[]))",
            [sorted(reload)],
        ).fetchall()
    }
    missing = sorted(reload - present - loaded)
    if missing:
        days = ", ".join(d.isoformat() for d in missing)
        raise ValueError(f"nothing to reload: no extract folder for {days} under {landing_dir}")


def _delete_file_rows(conn: duckdb.DuckDBPyConnection, entity: Entity, names: list[str]) -> None:
    conn.execute(f"delete from raw.{ident(entity.table)} where _file in (select unnest(?))", [names])
    forget_files(conn, names)


def forget_files(conn: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    """Drop the load log's rows of these files (loaded again, or gone)."""
    conn.execute("delete from raw._quarantine where file in (select unnest(?))", [names])
    conn.execute("delete from raw._loads where file in (select unnest(?))", [names])


def os_problem(exc: OSError) -> str:
    """`cannot be read: [Errno 13] Permission denied`: the OS error without the path (the
    message names the file already)."""
    if exc.errno is not None and exc.strerror:
        return f"cannot be read: [Errno {exc.errno}] {exc.strerror}"
    return f"cannot be read: {_one_line(exc)}"


class transaction:
    def __init__(self, conn: duckdb.DuckDBPyConnection):
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.begin()

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.conn.commit()
        else:  # a database that an I/O error invalidated refuses the rollback too
            _quietly(self.conn.rollback)


def _quietly(action: Callable[[], object]) -> None:
    """Run a clean-up after an error; its own failure must not hide that error."""
    try:
        action()
    except (duckdb.Error, OSError):
        pass


@dataclass
class ReadFile:
    """An extract file as its reader returned it, and its size in bytes."""

    extract: ExtractFile
    result: ReadResult
    size: int


class _Writer:
    """One thread that writes batches, one at a time, while the caller reads the next: a
    batch is handed over once the one before it is written; its error is raised then, or on
    `wait`. Leaving the `with` block waits for the last batch."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer")
        self.writing: Future | None = None

    def submit(self, write: Callable[[], None]) -> None:
        self.wait()
        self.writing = self.pool.submit(write)

    def wait(self) -> None:
        writing, self.writing = self.writing, None
        if writing is not None:
            writing.result()

    def __enter__(self) -> "_Writer":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.wait()
        finally:
            self.pool.shutdown(wait=True)  # after an error too: the connection is free again


class _EntityLoader:
    """Collects read files of one entity and hands them to the writer in batches (BATCH_ROWS,
    BATCH_BYTES). The entity's seconds count from its first read to its last batch written."""

    def __init__(
        self, conn, entity, batch_id, loaded_at, stats, say, writer: _Writer,
        settings: IngestSettings,
    ):
        self.conn = conn
        self.settings = settings
        self.entity = entity
        self.batch_id = batch_id
        self.loaded_at = loaded_at
        self.stats = stats
        self.say = say
        self.writer = writer
        self.written_notes: list[str] = []
        """Progress lines of the writer thread, said by the caller's thread once written."""
        self.started = time.perf_counter()
        self.batch: list[ReadFile] = []
        self.batch_rows = 0
        self.batch_bytes = 0

    def add(self, extract: ExtractFile) -> None:
        try:
            data = extract.path.read_bytes()
            result = read_extract(extract, data)
        except OSError as exc:  # permission denied, an I/O error, a directory, a dangling link
            self._unreadable(UnreadableExtract(str(extract.path), None, os_problem(exc)))
            return
        except UnreadableExtract as exc:
            self._unreadable(exc)
            return
        self.batch.append(ReadFile(extract, result, len(data)))
        self.batch_rows += result.table.num_rows
        self.batch_bytes += len(data)
        if self.batch_rows >= BATCH_ROWS or self.batch_bytes >= BATCH_BYTES:
            self._hand_over()

    def _unreadable(self, exc: UnreadableExtract) -> None:
        self.stats.unreadable.append(exc)
        self.say(f"unreadable: {exc}")

    def flush(self) -> None:
        """Hand over what is left and wait until all of the entity is written."""
        self._hand_over()
        self.writer.wait()
        self._say_written_notes()
        self.stats.seconds = time.perf_counter() - self.started

    def _hand_over(self) -> None:
        if self.batch:
            batch = self.batch
            self.writer.wait()
            self._say_written_notes()
            self.writer.submit(lambda: self._write_or_say_which(batch))
        self.batch, self.batch_rows, self.batch_bytes = [], 0, 0

    def _say_written_notes(self) -> None:
        notes, self.written_notes = self.written_notes, []
        for note in notes:
            self.say(note)

    def _write_or_say_which(self, batch: list[ReadFile]) -> None:
        try:
            self._write(batch)
        except (duckdb.Error, OSError) as exc:
            raise _BatchFailed(self.entity, [p.extract.name for p in batch], exc) from exc

    def _write(self, batch: list[ReadFile]) -> None:
        conn, entity = self.conn, self.entity
        register_batch(conn, batch)
        try:
            with transaction(conn):
                for exc in stage(conn, entity, batch, self.settings):
                    self.stats.unreadable.append(exc)
                    self.written_notes.append(f"unreadable: {exc}")
                self._insert()
        except BaseException:
            _quietly(lambda: clean_up(conn))  # the first error is the one to report
            raise
        clean_up(conn)

    def _insert(self) -> None:
        conn, entity = self.conn, self.entity
        names = [r[0] for r in conn.execute("select _file from _staged_files").fetchall()]
        _delete_file_rows(conn, entity, names)
        columns = ", ".join(ident(c.name) for c in entity.columns)
        meta = [self.batch_id, self.loaded_at]
        conn.execute(
            f"""
            insert into raw.{ident(entity.table)}
                ({columns}, _extract_date, _file, _line, _encoding, _loaded_at, _load_id)
            select *, $2, $1 from ({good_rows_sql(entity)})
            """,
            meta,
        )
        counts = record_loads(
            conn, entity, f"({QUARANTINED_SQL})", f"({FILES_SQL})", self.batch_id, self.loaded_at
        )
        self.stats.files += len(counts)
        self.stats.rows += sum(c[0] for c in counts)
        self.stats.quarantined += sum(c[1] for c in counts)
        self.stats.bytes += sum(c[2] for c in counts)


def register_batch(conn: duckdb.DuckDBPyConnection, batch: list[ReadFile]) -> None:
    """Register a batch of read files in `conn`: `_batch_rows` (every record of every file,
    with its file's index, name, encoding and extract date), `_batch_files` (one row per file)
    and `_batch_bad_records` (the records the readers could not split into columns)."""
    counts = np.array([p.result.table.num_rows for p in batch], dtype=np.int64)
    file_idx = np.repeat(np.arange(len(batch), dtype=np.int32), counts)
    rows = pa.concat_tables(p.result.table for p in batch)
    # Each row's file, date and encoding travel with it (dictionary-encoded: cheap), so
    # the insert needs no join and keeps the rows in file and line order.
    rows = rows.append_column("_file_idx", pa.array(file_idx)).append_column(
        "_file",
        pa.DictionaryArray.from_arrays(file_idx, pa.array([p.extract.name for p in batch])),
    ).append_column(
        "_encoding",
        pa.DictionaryArray.from_arrays(file_idx, pa.array([p.result.encoding for p in batch])),
    ).append_column(
        "_extract_date",
        pa.array(np.repeat(np.array([p.extract.extract_date for p in batch],
                                    dtype="datetime64[D]"), counts)),
    )
    files = pa.table(
        {
            "_file_idx": pa.array(range(len(batch)), pa.int32()),
            "_file": [p.extract.name for p in batch],
            "_extract_date": [p.extract.extract_date for p in batch],
            "_encoding": [p.result.encoding for p in batch],
            "_bytes": [p.size for p in batch],
        }
    )
    bad_records = pa.table(
        {
            "_file_idx": pa.array(
                [i for i, p in enumerate(batch) for _ in p.result.bad_records], pa.int32()
            ),
            "_line": pa.array([b.line for p in batch for b in p.result.bad_records], pa.int64()),
            "_reason": [b.reason for p in batch for b in p.result.bad_records],
            "_raw": [b.text for p in batch for b in p.result.bad_records],
        }
    )
    conn.register("_batch_rows", rows)
    conn.register("_batch_files", files)
    conn.register("_batch_bad_records", bad_records)


def clean_up(conn: duckdb.DuckDBPyConnection) -> None:
    """Drop what `register_batch` and `stage` left in `conn`."""
    conn.execute("drop table if exists _staged")
    conn.execute("drop table if exists _staged_files")
    for name in ("_batch_rows", "_batch_files", "_batch_bad_records"):
        conn.unregister(name)


def stage(
    conn: duckdb.DuckDBPyConnection, entity: Entity, batch: list[ReadFile], settings: IngestSettings
) -> list[UnreadableExtract]:
    """Type and check a registered batch (`register_batch`) by the row contract: the temp
    tables `_staged` (every record, its typed values and its reasons) and `_staged_files`
    (the files accepted); the files found unreadable as a whole, left out of both."""
    staged = staged_sql(entity, "_batch_rows", CARRIED, settings)
    conn.execute(f"create or replace temp table _staged as {staged}")
    conn.execute("create or replace temp table _staged_files as from _batch_files")
    return _reject_non_json_files(conn, entity, batch) + _reject_files_of_bad_records(conn, batch)


def _reject_non_json_files(
    conn: duckdb.DuckDBPyConnection, entity: Entity, batch: list[ReadFile]
) -> list[UnreadableExtract]:
    """A JSON Lines file in which no line is a JSON object is unreadable as a whole."""
    if entity.fmt != "jsonl":
        return []
    rejected = conn.execute(
        "select _file_idx, min(_line) from _staged group by 1 having not bool_or(_is_json)"
    ).fetchall()
    if rejected:  # its rows are all 'invalid JSON': without its file they go nowhere
        conn.execute(
            "delete from _staged_files where _file_idx in (select unnest(?))",
            [[idx for idx, _ in rejected]],
        )
    return [
        UnreadableExtract(
            str(batch[idx].extract.path), line, "not JSON Lines: no line holds a JSON object"
        )
        for idx, line in rejected
    ]


def _reject_files_of_bad_records(
    conn: duckdb.DuckDBPyConnection, batch: list[ReadFile]
) -> list[UnreadableExtract]:
    """A file in which (nearly) every record breaks the contract, UNREADABLE_SHARE or more, is
    unreadable as a whole, whatever its size: it is not an extract of this entity (a JSON
    array, columns shifted), and its few good-looking rows are not trusted either."""
    rejected = conn.execute(
        f"""
        select _file_idx, count(*) filter (where _reason <> ''), count(*),
            min(_line) filter (where _reason <> ''),
            arg_min(_reason, _line) filter (where _reason <> '')
        from (
            select _file_idx, _line, _reason from _staged
            union all
            select _file_idx, _line, _reason from _batch_bad_records
        )
        where _file_idx in (select _file_idx from _staged_files)
        group by 1
        having count(*) filter (where _reason <> '') >= {UNREADABLE_SHARE} * count(*)
            and count(*) filter (where _reason <> '') >= {UNREADABLE_MIN_BAD}
        order by 1
        """
    ).fetchall()
    if rejected:
        for table in ("_staged_files", "_staged"):
            conn.execute(
                f"delete from {table} where _file_idx in (select unnest(?))",
                [[row[0] for row in rejected]],
            )
    return [
        UnreadableExtract(
            str(batch[idx].extract.path),
            line,
            f"nearly every record breaks the contract ({bad} of {total}), the first: {reason}",
        )
        for idx, bad, total, line, reason in rejected
    ]


def good_rows_sql(entity: Entity) -> str:
    """The staged rows that keep every rule: the entity's typed columns, then `_extract_date`,
    `_file`, `_line` and `_encoding`."""
    typed = ", ".join(f"{ident('t:' + c.name)} as {ident(c.name)}" for c in entity.columns)
    return (
        f"select {typed}, _extract_date, _file::varchar as _file, _line, "
        "_encoding::varchar as _encoding from _staged where _reason = ''"
    )


QUARANTINED_SQL = """
    select f._extract_date, f._file, b._line, b._reason, b._raw
    from (
        select _file_idx, _line, _reason, _raw from _staged where _reason <> ''
        union all
        select _file_idx, _line, _reason, _raw from _batch_bad_records
    ) as b join _staged_files as f using (_file_idx)
"""
"""The staged records that break a rule, and those the readers could not split, of the
accepted files."""

FILES_SQL = """
    select f._extract_date, f._file, f._encoding, f._bytes,
        coalesce(g.good, 0) as _rows_loaded,
        coalesce(g.bad, 0) + coalesce(r.bad, 0) as _rows_quarantined
    from _staged_files as f
    left join (
        select _file_idx, count(*) filter (where _reason = '') as good,
            count(*) filter (where _reason <> '') as bad
        from _staged group by 1
    ) as g using (_file_idx)
    left join (
        select _file_idx, count(*) as bad from _batch_bad_records group by 1
    ) as r using (_file_idx)
"""
"""The accepted files, each with its rows loaded and quarantined."""


def record_loads(
    conn: duckdb.DuckDBPyConnection,
    entity: Entity,
    quarantined: str,
    files: str,
    load_id: str,
    loaded_at: datetime,
) -> list[tuple[int, int, int]]:
    """Insert into `raw._quarantine` the rows of the relation `quarantined` (the columns of
    QUARANTINED_SQL) and into `raw._loads` those of `files` (FILES_SQL's); each file's rows
    loaded, rows quarantined and bytes."""
    meta = [load_id, loaded_at, entity.source, entity.name]
    conn.execute(
        "insert into raw._quarantine select $1, $3, $4, _extract_date, _file, _line, _reason, "
        f"_raw, $2 from {quarantined}",
        meta,
    )
    return conn.execute(
        "insert into raw._loads select $1, $3, $4, _extract_date, _file, _encoding, _bytes, "
        f"_rows_loaded, _rows_quarantined, $2 from {files} "
        "returning rows_loaded, rows_quarantined, bytes",
        meta,
    ).fetchall()
