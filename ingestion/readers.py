"""Readers that turn one extract file's bytes into an Arrow table of text, line by line.

They decide whether a file can be read at all (encoding, header, JSON) and keep the physical
line number of every record; the checks of each value happen later, in SQL (`validate.py`).
CSV goes through Arrow's multi-threaded parser when line numbers can be derived from record
numbers (no blank lines, no line breaks inside quoted values), else through Python's `csv`
module, which is slower but knows every record's first and last line.

No value of the landing zone's contract holds a line break, so in its CSV files a line break
always ends a record: a line whose quoted value is still open at its end is quarantined
(naming the lines the record would have run over), and the next line is read as a record of
its own, as if that line were absent. Both parsers read a value of any size.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ingestion.contracts import Entity
from ingestion.errors import UnreadableExtract

UTF8 = "utf-8"
UTF8_BOM = "utf-8-bom"
GB18030 = "gb18030"


@dataclass
class BadRecord:
    """A record that could not even be split into the file's columns."""

    line: int
    reason: str
    text: str


@dataclass
class ReadResult:
    """What a reader got out of one file.

    `table` holds `_line` (int64) and, for CSV, one string column per contract column, for
    JSON Lines one `_record` string per non-blank line (its raw text, newline included).
    """

    table: pa.Table
    encoding: str
    bad_records: list[BadRecord] = field(default_factory=list)
    extra_columns: tuple[str, ...] = ()


_FILLED = np.ones(256, dtype=np.int8)
_FILLED[list(b" \t\r\n")] = 0
"""Per byte value: 1 unless a blank (space, tab, CR, LF); a line is blank only if it starts
with one."""


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _check_utf8(data: bytes) -> None:
    """Raise UnicodeDecodeError unless `data` is valid UTF-8. Arrow's validator runs first (it
    builds no Python string, several times faster on Chinese text); Python's decoder then
    finds the position of the first bad byte."""
    array = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), 1, [None, pa.py_buffer(np.array([0, len(data)], np.int64)), pa.py_buffer(data)]
    )
    try:
        array.cast(pa.large_string())
    except pa.ArrowInvalid:
        data.decode(UTF8)


def _reads_as_chinese(data: bytes, text: str) -> bool:
    """Whether GB18030 `text` (decoded from `data`) is plausibly Chinese: at least half of its
    two-byte characters are in GB2312, the common simplified characters and punctuation. A
    Latin-1 byte followed by a letter also decodes, into a rare character outside it
    ("Renée" into "Ren閑"); real names outside GB2312 (玥, 喆, 堃) stay a minority."""
    ascii_chars = len(text.encode("ascii", errors="ignore"))
    others = len(text) - ascii_chars
    four_byte = (len(data) - ascii_chars - 2 * others) // 2
    two_byte = others - four_byte
    common = (len(text.encode("gb2312", errors="ignore")) - ascii_chars) // 2
    return 2 * common >= two_byte


def decode(data: bytes, file: str, *, allow_gb18030: bool) -> tuple[str, bytes]:
    """Detect the encoding; return its label and the content as UTF-8 without a BOM. Bytes that
    are not UTF-8 are GB18030 only if they decode as such into plausibly Chinese text."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise UnreadableExtract(file, _line_of(data, nul), "NUL byte: binary or UTF-16 file")
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8) :]
        try:
            _check_utf8(body)
        except UnicodeDecodeError as exc:
            raise UnreadableExtract(
                file, _line_of(data, exc.start + 3), "invalid UTF-8 after a UTF-8 byte-order mark"
            ) from None
        return UTF8_BOM, body
    try:
        _check_utf8(data)
        return UTF8, data
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    expected = "neither UTF-8 nor GB18030" if allow_gb18030 else "not UTF-8"
    if allow_gb18030:
        try:
            text = data.decode(GB18030)
        except UnicodeDecodeError:
            pass
        else:
            if _reads_as_chinese(data, text):
                return GB18030, text.encode(UTF8)
    raise UnreadableExtract(file, _line_of(data, first_bad), f"unknown encoding ({expected})")


def read_csv(data: bytes, entity: Entity, file: str) -> ReadResult:
    encoding, body = decode(data, file, allow_gb18030=True)
    header_end = body.find(b"\n")
    header_text = (body if header_end < 0 else body[:header_end]).decode(UTF8).rstrip("\r")
    if not header_text.strip():
        raise UnreadableExtract(file, 1, "no header row")
    header = [h.strip() for h in next(csv.reader([header_text]))]
    missing = [c for c in entity.column_names if c not in header]
    if missing:
        raise UnreadableExtract(file, 1, f"missing required column(s): {', '.join(missing)}")
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise UnreadableExtract(file, 1, f"duplicated column(s): {', '.join(duplicated)}")
    extra = tuple(h for h in header if h not in entity.column_names)
    result = _read_csv_arrow(body, header, entity)
    if result is None:
        result = _read_csv_python(body, header, entity, file)
    table, bad = result
    return ReadResult(table, encoding, bad, extra)


def _physical_lines(body: bytes) -> int:
    if not body:
        return 0
    return body.count(b"\n") + (0 if body.endswith(b"\n") else 1)


def _read_csv_arrow(
    body: bytes, header: list[str], entity: Entity
) -> tuple[pa.Table, list[BadRecord]] | None:
    """Arrow's parser, or None when record numbers would not give the right line numbers."""
    has_quotes = b'"' in body

    def parse(use_threads: bool) -> tuple[pa.Table, list[pacsv.InvalidRow]]:
        invalid: list[pacsv.InvalidRow] = []

        def keep(row: pacsv.InvalidRow) -> str:
            invalid.append(row)
            return "skip"

        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(
                use_threads=use_threads, column_names=header, skip_rows=1
            ),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=has_quotes, invalid_row_handler=keep
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                include_columns=list(entity.column_names),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        return table, invalid

    try:
        table, invalid = parse(use_threads=True)
        if invalid:
            table, invalid = parse(use_threads=False)
    except pa.ArrowInvalid:
        return None
    if _physical_lines(body) != 1 + table.num_rows + len(invalid):
        return None
    if has_quotes and not entity.line_breaks and _left_open(_last_line(body)):
        return None  # Arrow ends the file's last value there; the csv module says why not
    # With no blank line and no line break inside a value, record n is physical line n.
    invalid_lines = np.array([r.number for r in invalid], dtype=np.int64)
    lines = np.arange(2, 2 + table.num_rows + len(invalid), dtype=np.int64)
    if len(invalid):
        lines = lines[~np.isin(lines, invalid_lines)]
    bad = [
        BadRecord(
            r.number, f"expected {r.expected_columns} fields, found {r.actual_columns}", r.text
        )
        for r in invalid
    ]
    return table.add_column(0, "_line", pa.array(lines)), bad


def _last_line(body: bytes) -> bytes:
    end = len(body) - 1 if body.endswith(b"\n") else len(body)
    return body[body.rfind(b"\n", 0, end) + 1 :]


def _left_open(line: bytes) -> bool:
    """Whether a quoted value opened on `line` is still open at its end."""
    lines = _Lines([line.decode(UTF8), "\n"])
    with _any_field_size():
        next(csv.reader(lines), None)
    return lines.read > 1


class _Lines:
    """The lines of a CSV body for `csv.reader`, which counts those it has taken (`read`) and
    can be set back to read a line again."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.read = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.read >= len(self.lines):
            raise StopIteration
        self.read += 1
        return self.lines[self.read - 1]


@contextmanager
def _any_field_size() -> Iterator[None]:
    """Lift the csv module's limit on a value's size (128 kB), which Arrow does not have."""
    limit = csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(limit)


def _read_csv_python(
    body: bytes, header: list[str], entity: Entity, file: str
) -> tuple[pa.Table, list[BadRecord]]:
    """Python's csv module: slower, but it knows the first and last line of every record.

    It reads leniently, as Arrow does (`"a"b` is `ab`). A blank line follows the last one, so
    that a quote left open at the end of the file takes a line more than there is."""
    wanted = [header.index(c) for c in entity.column_names]
    columns: list[list[str]] = [[] for _ in wanted]
    lines: list[int] = []
    bad: list[BadRecord] = []
    text = io.StringIO(body.decode(UTF8), newline="").readlines()
    source = _Lines([*text, "\n"])
    source.read = 1  # the header
    with _any_field_size():
        reader = csv.reader(source)
        while True:
            first = source.read + 1
            try:
                row = next(reader, None)
            except csv.Error as exc:
                raise UnreadableExtract(file, first, f"CSV syntax: {exc}") from None
            if row is None:
                break
            last = source.read
            if last > first and (last > len(text) or not entity.line_breaks):
                end = "the end of the file" if last > len(text) else f"line {last}"
                if entity.line_breaks:
                    problem = f"unclosed quote: the record from line {first} runs to {end}"
                    raise UnreadableExtract(file, first, problem)
                reason = f"unclosed quote: the record would run from line {first} to {end}"
                bad.append(BadRecord(first, reason, text[first - 1].rstrip("\r\n")))
                source.read = first  # read on from the next line, as if this one were absent
                reader = csv.reader(source)
                continue
            if not row or row == [""]:
                continue
            if len(row) != len(header):
                reason = f"expected {len(header)} fields, found {len(row)}"
                bad.append(BadRecord(first, reason, ",".join(row)))
                continue
            lines.append(first)
            for values, index in zip(columns, wanted):
                values.append(row[index])
    arrays = [pa.array(lines, pa.int64())] + [pa.array(v, pa.string()) for v in columns]
    return pa.table(arrays, names=["_line", *entity.column_names]), bad


def read_jsonl(data: bytes, file: str) -> ReadResult:
    """Split into lines without copying (each `_record` keeps its line break, which JSON
    allows); lines of only blanks are dropped. DuckDB parses the JSON."""
    encoding, body = decode(data, file, allow_gb18030=False)
    raw = np.frombuffer(body, dtype=np.uint8)
    breaks = np.flatnonzero(raw == 0x0A)
    starts = np.concatenate(([0], breaks + 1)).astype(np.int64)
    if starts[-1] == len(body):
        starts = starts[:-1]
    offsets = np.append(starts, len(body)).astype(np.int64)
    records = pa.LargeStringArray.from_buffers(
        len(starts), pa.py_buffer(offsets), pa.py_buffer(body)
    )
    lines = np.arange(1, len(starts) + 1, dtype=np.int64)
    table = pa.table({"_line": lines, "_record": records})
    maybe_blank = np.flatnonzero(_FILLED[raw[starts]] == 0) if len(body) else []
    blank = [i for i in maybe_blank if not body[offsets[i] : offsets[i + 1]].strip()]
    if blank:
        keep = np.ones(len(starts), dtype=bool)
        keep[blank] = False
        table = table.filter(pa.array(keep))
    return ReadResult(table, encoding)
