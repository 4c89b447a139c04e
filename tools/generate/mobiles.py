"""How phone numbers get typed into the source systems.

The same number arrives as `13812345678`, `138 1234 5678`, `+86-13812345678`,
`008613812345678` or `86 138-1234-5678`; a few records carry an invalid number (ten digits, or
starting with 2) or a blocklisted test number (`13800138000`, `00000000000`).
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import text

FORMATS = [
    ("", "", "", 0.62),
    ("", " ", " ", 0.12),
    ("+86-", "", "", 0.09),
    ("0086", "", "", 0.06),
    ("86 ", "-", "-", 0.06),
    ("+86 ", " ", " ", 0.05),
]
BLOCKLISTED = ["13800138000", "00000000000"]


def typed(rng: np.random.Generator, numbers: np.ndarray) -> pa.Array:
    """Valid 11-digit numbers written in the mix of formats people use."""
    numbers = np.asarray(numbers, np.int64)
    weights = np.array([f[3] for f in FORMATS])
    fmt = rng.choice(len(FORMATS), len(numbers), p=weights)
    lead, sep1, sep2 = (text.take(text.strings(f[i] for f in FORMATS), fmt) for i in range(3))
    return text.join(lead, text.integers(numbers // 10**8), sep1, text.digits(numbers // 10**4 % 10**4, 4),
                     sep2, text.digits(numbers % 10**4, 4))


def invalid(rng: np.random.Generator, numbers: np.ndarray) -> pa.Array:
    """Broken versions of numbers: a digit short, or a leading 2."""
    numbers = np.asarray(numbers, np.int64)
    short = rng.random(len(numbers)) < 0.5
    return text.integers(np.where(short, numbers // 10, numbers + 10**10))


def spoil(rng: np.random.Generator, typed_numbers: pa.Array, numbers: np.ndarray,
          invalid_rate: float, blocked_rate: float) -> pa.Array:
    """Replace a few typed numbers with invalid or blocklisted ones (at least one of each if there are 20+)."""
    n = len(typed_numbers)
    if n < 20:
        return typed_numbers
    out = typed_numbers
    for rate, make in ((invalid_rate, lambda i: invalid(rng, numbers[i])),
                       (blocked_rate, lambda i: text.take(text.strings(BLOCKLISTED), rng.integers(0, 2, len(i))))):
        rows = np.unique(rng.integers(0, n, max(1, round(n * rate))))
        mask = np.zeros(n, bool)
        mask[rows] = True
        out = pc.replace_with_mask(out, pa.array(mask), make(rows))
    return out
