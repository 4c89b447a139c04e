"""When people do things, and how much they spend.

Each person acts as a Poisson process at their own rate (gamma-distributed across people, so
a few buy very often) from the moment they can (registration, or the first extract date) until
they drift away for good (an exponential lifetime: the dropout process), so purchase counts have
a heavy tail and some customers go quiet. New customers often buy right after they register.
Some also replenish a product on a routine: a renewal process with a cycle (noisy, a purchase
skipped now and then). Order amounts are lognormal around each person's own level.
"""

import numpy as np

from .period import clock
from .text import DAY

FIRST_ORDER_AT_JOIN = 0.3


def happenings(rng: np.random.Generator, who: np.ndarray, start: np.ndarray, stop: np.ndarray,
               rate: np.ndarray, hours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(person, time) of everything a Poisson process per person yields in [start, stop], by time."""
    span = np.maximum(stop - start, 0)
    count = rng.poisson(rate * span / DAY)
    person = np.repeat(who, count)
    lo, hi = np.repeat(start, count), np.repeat(stop, count)
    day = (lo + rng.random(len(person)) * (hi - lo)) // DAY
    t = np.clip(clock(rng, day, hours), lo, hi)
    order = np.argsort(t, kind="stable")
    return person[order], t[order]


def orders(rng: np.random.Generator, who: np.ndarray, registered: np.ndarray, start: int, stop: np.ndarray,
           rate: np.ndarray, hours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order times per person: the Poisson process, plus often a first order right after registering."""
    begin = np.maximum(registered, start)
    person, t = happenings(rng, who, begin, stop, rate, hours)
    new = (registered >= start) & (rate > 0) & (rng.random(len(who)) < FIRST_ORDER_AT_JOIN)
    first = registered + rng.integers(120, 3 * 3600, len(who))
    new &= first <= stop
    person = np.concatenate([person, who[new]])
    t = np.concatenate([t, first[new]])
    order = np.argsort(t, kind="stable")
    return person[order], t[order]


def routine(rng: np.random.Generator, who: np.ndarray, start: np.ndarray, stop: np.ndarray, cycle: np.ndarray,
            hours: np.ndarray, noise: float = 0.15, skip: float = 0.06) -> tuple[np.ndarray, np.ndarray]:
    """(person, time) of purchases about every `cycle` days per person in [start, stop], by time.

    A renewal process: the first purchase falls anywhere in the first cycle (people were
    already on it), each gap is the cycle times lognormal noise, and now and then a purchase is
    skipped (the gap doubles).
    """
    span = np.maximum(stop - start, 0) / DAY
    count = np.where(span > 0, np.floor(span / (cycle * 0.6)).astype(np.int64) + 1, 0)
    n = int(count.sum())
    idx = np.repeat(np.arange(len(who)), count)
    first = np.cumsum(count) - count
    gap = cycle[idx] * np.clip(rng.lognormal(0, noise, n), 0.6, 1.8) * np.where(rng.random(n) < skip, 2, 1)
    gap[first[count > 0]] = rng.random(int((count > 0).sum())) * cycle[count > 0]
    total = np.cumsum(gap)
    base = np.zeros(len(who))
    base[count > 0] = total[first[count > 0]] - gap[first[count > 0]]
    offset = total - base[idx]
    at = start[idx] + (offset * DAY).astype(np.int64)
    keep = at <= stop[idx]
    idx, at = idx[keep], at[keep]
    t = np.clip(clock(rng, at // DAY, hours), start[idx], stop[idx])
    order = np.argsort(t, kind="stable")
    return who[idx][order], t[order]


def amounts(rng: np.random.Generator, level: np.ndarray) -> np.ndarray:
    """Order amounts in fen around each buyer's level."""
    return np.maximum(990, np.round(level * rng.lognormal(0, 0.4, len(level)) * 100)).astype(np.int64)
