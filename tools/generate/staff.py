"""Stores and the staff who talk to customers on WeCom.

About one store per 5,000 customers (at least 3) with ids like `S017`, and about one staff
member per 400 customers (at least 5), each attached to a store, with WeCom user ids such as
`zhangwei` or `store017_li`. Bigger stores (lower numbers) get more customers.
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import catalog, text


@dataclass
class Staff:
    stores: int
    userid: pa.Array
    store: np.ndarray

    def of_store(self, store: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A staff member of each given store (any staff member when a store has none)."""
        order = np.argsort(self.store, kind="stable")
        lo = np.searchsorted(self.store[order], store, side="left")
        hi = np.searchsorted(self.store[order], store, side="right")
        count = hi - lo
        pick = lo + (rng.random(len(store)) * np.maximum(count, 1)).astype(np.int64)
        anyone = rng.integers(0, len(self.store), len(store))
        return np.where(count > 0, order[np.minimum(pick, len(order) - 1)], anyone)


def store_count(customers: int) -> int:
    return int(min(999, max(3, customers // 5000)))


def store_ids(store: np.ndarray) -> pa.Array:
    return text.join("S", text.digits(np.asarray(store) + 1, 3))


def build(rng: np.random.Generator, customers: int) -> Staff:
    stores = store_count(customers)
    count = max(5, customers // 400)
    store = np.concatenate([np.arange(min(stores, count)), rng.integers(0, stores, max(0, count - stores))])
    surname = rng.integers(0, len(catalog.SURNAMES), count)
    given = rng.integers(0, len(catalog.STAFF_GIVEN), count)
    by_store = rng.random(count) < 0.4
    taken: set[str] = set()
    ids = []
    for s, g, st, b in zip(surname.tolist(), given.tolist(), store.tolist(), by_store.tolist()):
        family = catalog.SURNAMES[s][1]
        base = f"store{st + 1:03d}_{family}" if b else family + catalog.STAFF_GIVEN[g]
        name, k = base, 1
        while name in taken:
            k += 1
            name = f"{base}{k}"
        taken.add(name)
        ids.append(name)
    return Staff(stores=stores, userid=text.strings(ids), store=store)
