"""The extract calendar and the clock of daily life.

A `Period` is the run of extract dates (`first … last`), the days that get a snapshot, and the
random streams every entity draws from (one `SeedSequence` child per named stream, so adding
rows to one entity never shifts another). The hour profiles say when people shop online, walk
into a store or chat with staff.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from .text import DAY, day_number

STREAMS = [
    "people", "mobiles", "behaviour", "staff",
    "users", "orders", "order_items", "events",
    "contacts", "contact_events", "interactions",
    "members", "offline_orders", "points_ledger",
    "bad.users", "bad.orders", "bad.order_items", "bad.events",
    "bad.external_contacts", "bad.contact_events", "bad.interactions",
    "bad.members", "bad.offline_orders", "bad.points_ledger",
    "routines", "coupon_grants", "bad.coupon_grants", "points_history",
]

ONLINE_HOURS = np.array([
    2, 1, 0.5, 0.3, 0.3, 0.5, 1.5, 3, 4.5, 5, 5, 5.5, 7, 6, 5, 5, 5, 5.5, 6, 7, 8.5, 9, 7.5, 4.5,
])
STORE_HOURS = np.array([0] * 10 + [6, 8, 9, 8, 7, 8, 9, 10, 11, 12, 11, 6] + [0, 0])
WORK_HOURS = np.array([0] * 8 + [3, 8, 9, 9, 6, 7, 9, 9, 8, 7, 5, 4, 4, 3, 1] + [0])


@dataclass
class Period:
    first: date
    last: date
    snapshot_every: int
    seed: int
    streams: dict[str, np.random.Generator] = field(init=False, repr=False)

    def __post_init__(self):
        children = np.random.SeedSequence(self.seed).spawn(len(STREAMS))
        self.streams = {name: np.random.Generator(np.random.PCG64(s)) for name, s in zip(STREAMS, children)}

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def first_day(self) -> int:
        return day_number(self.first)

    @property
    def last_day(self) -> int:
        return day_number(self.last)

    @property
    def start(self) -> int:
        """First second of the first extract date."""
        return self.first_day * DAY

    @property
    def end(self) -> int:
        """Last second of the last extract date."""
        return (self.last_day + 1) * DAY - 1

    def snapshot_days(self) -> np.ndarray:
        """Day numbers that carry a snapshot: the first, every `snapshot_every` after, and the last."""
        days = list(range(self.first_day, self.last_day + 1, self.snapshot_every))
        if days[-1] != self.last_day:
            days.append(self.last_day)
        return np.array(days, np.int64)

    def rng(self, name: str) -> np.random.Generator:
        return self.streams[name]

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]


def clock(rng: np.random.Generator, day, hours: np.ndarray) -> np.ndarray:
    """A time on each given day, the hour drawn from an hour-of-day profile."""
    day = np.asarray(day, np.int64)
    hour = rng.choice(24, size=day.shape, p=hours / hours.sum())
    return day * DAY + hour * 3600 + rng.integers(0, 3600, day.shape)
