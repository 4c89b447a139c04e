"""Rows that break the contract on purpose, so ingestion has something to quarantine.

A bad row is an extra copy of a real row with exactly one cell broken (an impossible
timestamp, a negative amount, an unknown status, an empty key), written right after the row
it copies; the good rows are the same whatever the rate. Each entity has its own random
stream for this, so `bad_row_rate=0` yields exactly the good rows and nothing else.
Events files may also carry one line cut off in the middle (about one file in 30).
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import text

BAD_TIMESTAMPS = ("2026-02-30 10:00:00", "N/A", "2026/13/01")
BAD_DATES = ("1990-02-30", "N/A", "1990/13/01")
TRUNCATE_ONE_FILE_IN = 30


@dataclass(frozen=True)
class Fault:
    kind: str
    cell: str
    values: tuple[str, ...]


def timestamp(cell: str, wrap: str = "{}") -> Fault:
    """An unparseable timestamp; `wrap` places it in the cell's text (e.g. a JSON member)."""
    return Fault("bad_timestamp", cell, tuple(wrap.format(v) for v in BAD_TIMESTAMPS))


def bad_date(cell: str) -> Fault:
    return Fault("bad_date", cell, BAD_DATES)


def negative(cell: str) -> Fault:
    return Fault("negative_amount", cell, ("-35.00", "-0.01", "-199.00"))


def unknown(cell: str, values: tuple[str, ...] = ("unknown",)) -> Fault:
    return Fault("unknown_value", cell, values)


def missing(cell: str, value: str = "") -> Fault:
    return Fault("missing_key", cell, (value,))


class Faults:
    """Which rows of one entity get a broken copy, and how each is broken."""

    def __init__(self, rng: np.random.Generator, rate: float, faults: list[Fault], truncate: bool = False):
        self.rng = rng
        self.rate = rate
        self.faults = faults
        self.truncate = truncate and rate > 0
        self.tables = [text.strings(f.values) for f in faults]
        self.positions = np.zeros(0, np.int64)
        self.kind = np.zeros(0, np.int64)
        self.value = np.zeros(0, np.int64)

    def plan(self, n: int) -> None:
        """Choose the rows (of `n`, in file order) that get a broken copy."""
        if self.rate <= 0 or n == 0:
            return
        gaps = self.rng.geometric(self.rate, size=int(n * self.rate * 1.5) + 16)
        positions = np.cumsum(gaps) - 1
        while positions[-1] < n:
            more = np.cumsum(self.rng.geometric(self.rate, size=len(gaps))) + positions[-1]
            positions = np.concatenate([positions, more])
        self.positions = positions[positions < n]
        self.kind = self.rng.integers(0, len(self.faults), len(self.positions))
        self.value = self.rng.integers(0, 1 << 30, len(self.positions))

    def within(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a, b = np.searchsorted(self.positions, [lo, hi])
        return self.positions[a:b] - lo, self.kind[a:b], self.value[a:b]

    def corrupt(self, cells: dict, kind: np.ndarray, value: np.ndarray) -> dict:
        """Break one cell in each row of `cells` (already the copies) as `kind` says."""
        out = dict(cells)
        for k, fault in enumerate(self.faults):
            mask = kind == k
            if not mask.any():
                continue
            choice = value[mask] % len(fault.values)
            out[fault.cell] = pc.replace_with_mask(text.whole(out[fault.cell]), pa.array(mask),
                                                   text.take(self.tables[k], choice))
        return out

    def snapshot_rows(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A few rows of a snapshot of `n` rows to copy broken (about a tenth of the increment rate)."""
        if self.rate <= 0 or n == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
        count = max(1, round(n * self.rate / 10))
        rows = np.sort(self.rng.integers(0, n, count))
        return rows, self.rng.integers(0, len(self.faults), count), self.rng.integers(0, 1 << 30, count)

    def truncated_line(self, n: int) -> int | None:
        """For an events file of `n` lines: the line to follow with a cut-off copy, if this file gets one."""
        if not self.truncate or n == 0 or self.rng.random() >= 1 / TRUNCATE_ONE_FILE_IN:
            return None
        return int(self.rng.integers(0, n))
