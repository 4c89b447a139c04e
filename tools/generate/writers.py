"""Putting rows into the landing zone's per-day files.

Rows arrive as Arrow string cells; a file is a header plus the lines' bytes, written straight
from the Arrow buffer. Increment entities are sorted by day and cut into one file per day that
has rows, a chunk of days at a time so memory stays bounded; snapshot entities are written
whole on each snapshot day. Broken copies from `bad_rows` are slotted in as files are written.
"""

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from . import text
from .bad_rows import Faults

CHUNK_ROWS = 400_000
BOM = b"\xef\xbb\xbf"

Cells = dict[str, pa.Array | list]


class Zone:
    """A landing zone being written, and the tally of what went into it."""

    def __init__(self, root: Path, progress: Callable[[str], None] | None = None):
        self.root = root
        self.progress = progress
        self.rows: Counter[str] = Counter()
        self.bad: Counter[str] = Counter()
        self.files = 0
        self.bytes = 0
        self._lock = threading.Lock()

    def write(self, source: str, name: str, day: int, parts: list, rows: int, bad: int = 0) -> None:
        folder = self.root / source / text.date_text(day)
        folder.mkdir(parents=True, exist_ok=True)
        size = 0
        with open(folder / name, "wb") as f:
            for part in parts:
                f.write(part)
                size += len(part)
        key = f"{source}/{name.split('.')[0]}"
        with self._lock:
            self.rows[key] += rows
            self.bad[key] += bad
            self.files += 1
            self.bytes += size

    def say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)

    def report(self, source: str, name: str) -> None:
        key = f"{source}/{name.split('.')[0]}"
        self.say(f"{key}: {self.rows[key]:,} rows")


def csv_header(cells: list[str]) -> bytes:
    return (",".join(cells) + "\n").encode()


def _flat(cells: Cells, sep: str) -> list:
    out: list = []
    for i, cell in enumerate(cells.values()):
        if i and sep:
            out.append(sep)
        out.extend(text.pieces(cell))
    return out


def csv_lines(cells: Cells) -> pa.Array:
    return text.join(*_flat(cells, ","), "\n")


def json_lines(cells: Cells) -> pa.Array:
    """JSON objects whose member cells carry their own separators."""
    return text.join("{", *_flat(cells, ""), "}\n")


def rows_of(cells: Cells, rows: np.ndarray) -> Cells:
    """The given rows of every cell."""
    index = pa.array(np.asarray(rows, np.int64))
    return {k: [p.take(index) if isinstance(p, pa.Array) else p for p in text.pieces(v)] for k, v in cells.items()}


def _buffer(lines: pa.Array, lo: int = 0, hi: int | None = None) -> memoryview:
    """The bytes of lines[lo:hi] as one contiguous view of the Arrow data buffer."""
    hi = len(lines) if hi is None else hi
    if hi <= lo:
        return memoryview(b"")
    offsets = np.frombuffer(lines.buffers()[1], np.int32, len(lines) + 1, lines.offset * 4)
    return memoryview(lines.buffers()[2])[offsets[lo]: offsets[hi]]


def _interleave(lines: pa.Array, lo: int, hi: int, copies: pa.Array, after: np.ndarray, first: int) -> list:
    """Views of lines[lo:hi] with copies[first + i] slotted in right after line `after[i]`."""
    parts, at = [], lo
    for i, line in enumerate(after.tolist()):
        parts.append(_buffer(lines, at, line + 1))
        parts.append(_buffer(copies, first + i, first + i + 1))
        at = line + 1
    parts.append(_buffer(lines, at, hi))
    return parts


def write_increment(zone: Zone, source: str, name: str, header: bytes, day: np.ndarray,
                    render: Callable[[int, int], Cells], assemble: Callable[[Cells], pa.Array],
                    faults: Faults) -> None:
    """Write rows (sorted by `day`) into one file per day, in chunks of whole days."""
    n = len(day)
    faults.plan(n)
    bounds = np.flatnonzero(np.diff(day)) + 1
    starts = np.concatenate([[0], bounds]).astype(np.int64)
    stops = np.concatenate([bounds, [n]]).astype(np.int64)
    i = 0
    while i < len(starts) and n:
        j = i + 1
        while j < len(starts) and stops[j] - starts[i] <= CHUNK_ROWS:
            j += 1
        lo, hi = int(starts[i]), int(stops[j - 1])
        cells = render(lo, hi)
        lines = assemble(cells)
        pos, kind, value = faults.within(lo, hi)
        copies = assemble(faults.corrupt(rows_of(cells, pos), kind, value)).cast(lines.type)
        del cells
        for a, b in zip((starts[i:j] - lo).tolist(), (stops[i:j] - lo).tolist()):
            cut = faults.truncated_line(b - a)
            split = b if cut is None else a + cut + 1
            first, middle, last = np.searchsorted(pos, [a, split, b])
            parts = [header, *_interleave(lines, a, split, copies, pos[first:middle], int(first))]
            if cut is not None:
                whole = lines[a + cut].as_py()
                parts.append(whole[: len(whole) // 2].encode() + b"\n")
                parts += _interleave(lines, split, b, copies, pos[middle:last], int(middle))
            bad = int(last - first) + (cut is not None)
            zone.write(source, name, int(day[lo + a]), parts, b - a + bad, bad)
        i = j
    zone.report(source, name)


def write_snapshot(zone: Zone, source: str, name: str, day: int, header: bytes, lines: pa.Array,
                   copies: pa.Array | None = None, bom: bool = False) -> None:
    """One snapshot file: header, every current record, then any broken copies."""
    extra = len(copies) if copies is not None else 0
    parts = [BOM + header if bom else header, _buffer(lines)]
    if extra:
        parts.append(_buffer(copies))
    zone.write(source, name, day, parts, len(lines) + extra, extra)
