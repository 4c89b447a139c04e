"""Vectorised text: turning numpy columns into Arrow string columns without a Python loop per row.

Every value in the landing zone is built here from small lookup tables (zero-padded digits,
dates, times of day) with Arrow's `take` and element-wise join, so a million timestamps cost a
few lookups rather than a million `strftime` calls. Times are local wall-clock seconds since
1970-01-01 00:00 (Asia/Shanghai has no daylight saving, so a day is always 86,400 seconds).
"""

from datetime import date
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DAY = 86_400
SHANGHAI_OFFSET = 8 * 3600
FIRST_TABLE_DATE = date(1950, 1, 1)
LAST_TABLE_DATE = date(2100, 12, 31)
URL_SAFE = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", np.uint8)
HEX = np.frombuffer(b"0123456789abcdef", np.uint8)

StrArray = pa.Array | pa.Scalar | str


def day_number(d: date) -> int:
    """Days since 1970-01-01."""
    return (d - date(1970, 1, 1)).days


def strings(values) -> pa.Array:
    return pa.array(list(values), pa.string())


def take(table: pa.Array, index) -> pa.Array:
    return table.take(pa.array(np.asarray(index)))


def _arg(part, binary: bool = False):
    if isinstance(part, (str, bytes)):
        if binary:
            return pa.scalar(part.encode() if isinstance(part, str) else part, pa.binary())
        return pa.scalar(part, pa.string())
    return part


def join(*parts, sep: str = "") -> pa.Array:
    """Concatenate string columns (or constants) row by row; GB18030 byte columns join as bytes."""
    if not sep:
        merged: list = []
        for p in parts:
            if isinstance(p, str) and merged and isinstance(merged[-1], str):
                merged[-1] += p
            elif not (isinstance(p, str) and not p):
                merged.append(p)
        parts = tuple(merged)
    binary = any(isinstance(p, pa.Array) and p.type == pa.binary() for p in parts)
    if binary:
        parts = tuple(p.cast(pa.binary()) if isinstance(p, pa.Array) else p for p in parts)
    args = [_arg(p, binary) for p in parts]
    if not any(isinstance(a, pa.Array) for a in args):
        raise ValueError("join needs at least one array")
    if len(args) == 1 and not sep:
        return args[0]
    return pc.binary_join_element_wise(*args, _arg(sep, binary))


def pieces(cell) -> list:
    """A cell given as one array or as a list of pieces (arrays and constants to concatenate)."""
    return cell if isinstance(cell, list) else [cell]


def whole(cell) -> pa.Array:
    """A cell's pieces concatenated into one array."""
    return join(*pieces(cell))


def lines(cells: list, sep: str = ",") -> pa.Array:
    """One text line per row, cells separated by `sep`, each line ending in a newline."""
    return join(join(*cells, sep=sep), "\n")


@cache
def _padded(width: int) -> pa.Array:
    """All `width`-digit zero-padded numbers, in order (width up to 6)."""
    if width <= 3:
        return strings(f"{i:0{width}d}" for i in range(10**width))
    low = width // 2
    i = np.arange(10**width)
    return join(take(_padded(width - low), i // 10**low), take(_padded(low), i % 10**low))


def digits(values, width: int) -> pa.Array:
    """Non-negative integers as zero-padded decimal strings of a fixed width."""
    v = np.asarray(values, np.int64)
    parts = []
    head = width % 6 or 6
    scale = 10 ** (width - head)
    parts.append(take(_padded(head), (v // scale) % 10**head))
    while scale > 1:
        scale //= 10**6
        parts.append(take(_padded(6), (v // scale) % 10**6))
    return parts[0] if len(parts) == 1 else join(*parts)


def integers(values) -> pa.Array:
    return pc.cast(pa.array(np.asarray(values, np.int64)), pa.string())


def money(cents) -> pa.Array:
    """Amounts in fen as yuan with two decimals (`123.40`); negative amounts get a minus sign."""
    c = np.asarray(cents, np.int64)
    text = join(integers(np.abs(c) // 100), digits(np.abs(c) % 100, 2), sep=".")
    if (c < 0).any():
        text = pc.if_else(pa.array(c < 0), join("-", text), text)
    return text


def random_ids(rng: np.random.Generator, n: int, prefix: str, length: int,
               alphabet: np.ndarray = URL_SAFE) -> pa.Array:
    """`n` ids of `prefix` followed by `length` random characters from `alphabet`."""
    head = np.frombuffer(prefix.encode(), np.uint8)
    width = len(head) + length
    buf = np.empty((n, width), np.uint8)
    buf[:, : len(head)] = head
    buf[:, len(head):] = alphabet[rng.integers(0, len(alphabet), (n, length), dtype=np.uint8)]
    offsets = np.arange(0, n * width + 1, width, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(buf)])


def scrambled(serial, modulus: int, salt: int) -> np.ndarray:
    """A bijection of 0..modulus-1 that looks random: unique ids without a uniqueness check."""
    s = np.asarray(serial, np.int64)
    multiplier = 6_364_136_223 % modulus
    while np.gcd(multiplier, modulus) != 1:
        multiplier += 1
    return (s * multiplier + salt) % modulus


@cache
def _dates() -> pa.Array:
    days = np.arange(np.datetime64(FIRST_TABLE_DATE), np.datetime64(LAST_TABLE_DATE) + 1)
    return pa.array(days.astype("U10"), pa.string())


@cache
def _compact_dates() -> pa.Array:
    return pc.replace_substring(_dates(), "-", "")


@cache
def _times_of_day() -> pa.Array:
    s = np.arange(DAY)
    return join(digits(s // 3600, 2), digits(s // 60 % 60, 2), digits(s % 60, 2), sep=":")


def dates(day) -> pa.Array:
    """Day numbers (days since 1970-01-01) as `YYYY-MM-DD`."""
    return take(_dates(), np.asarray(day, np.int64) - day_number(FIRST_TABLE_DATE))


def compact_dates(day) -> pa.Array:
    """Day numbers as `YYYYMMDD`."""
    return take(_compact_dates(), np.asarray(day, np.int64) - day_number(FIRST_TABLE_DATE))


def timestamp_pieces(t) -> list:
    """Local seconds as the pieces of `YYYY-MM-DD HH:MM:SS`."""
    t = np.asarray(t, np.int64)
    return [dates(t // DAY), " ", take(_times_of_day(), t % DAY)]


def timestamps(t) -> pa.Array:
    """Local seconds as `YYYY-MM-DD HH:MM:SS`."""
    return join(*timestamp_pieces(t))


def date_text(day: int) -> str:
    return _dates()[day - day_number(FIRST_TABLE_DATE)].as_py()


def epoch_seconds(t) -> np.ndarray:
    """Local Shanghai seconds to Unix epoch seconds."""
    return np.asarray(t, np.int64) - SHANGHAI_OFFSET


def json_string(values: list[str]) -> list[str]:
    """Catalog strings escaped for use inside a JSON string literal."""
    return [v.replace("\\", "\\\\").replace('"', '\\"') for v in values]


def csv_cell(values: list[str]) -> list[str]:
    """Catalog strings quoted for a CSV cell where needed."""
    return [f'"{v.replace(chr(34), chr(34) * 2)}"' if any(c in v for c in ',"\r\n') else v for v in values]


def constant(n: int, value: str = "") -> pa.Array:
    return take(strings([value]), np.zeros(n, np.int64))


def choose(mask, when_true: pa.Array, when_false: StrArray) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(mask, bool)), when_true, _arg(when_false))
