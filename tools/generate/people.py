"""The population: who the customers really are, and the identifiers each system knows them by.

Every person has a true identity (Chinese name, gender, birthday, a unique valid mobile), a
day they first met the brand (some before the first extract date), the systems they are in
(mini-program, WeCom, member; at least one) with the time they registered in each, and the
ids the WeChat side gave them: openid, unionid (for about 70%, the same everywhere it appears)
and external_userid (member ids are the member system's own, see `member`). Behaviour
parameters (how often and how much they buy, when they drift away, how much they browse and
share) drive the orders and events.
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import catalog, text
from .period import ONLINE_HOURS, STORE_HOURS, Period, clock
from .text import DAY

SYSTEM_SHARE = {"mini": 0.75, "wecom": 0.50, "member": 0.50}
PRE_EXISTING = 0.35
HISTORY_DAYS = 3 * 365
HAS_UNIONID = 0.70
BUYER_SHARE = 0.75
ORDERS_PER_BUYER_YEAR = 36.0
MOBILE_PREFIXES = np.array([
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 147, 150, 151, 152, 153, 155, 156, 157, 158,
    159, 166, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191, 198, 199,
])
SUFFIXES = 10**8
STORE_PHONES_PER_CUSTOMER = 1 / 2000


@dataclass
class Population:
    n: int
    surname: np.ndarray
    given1: np.ndarray
    given2: np.ndarray
    gender: np.ndarray
    birthday: np.ndarray
    mobile: np.ndarray
    nickname: np.ndarray
    joined: np.ndarray
    mini_at: np.ndarray
    wecom_at: np.ndarray
    member_at: np.ndarray
    in_mini: np.ndarray
    in_wecom: np.ndarray
    in_member: np.ndarray
    has_unionid: np.ndarray
    openid: pa.Array
    unionid: pa.Array
    external_userid: pa.Array
    home_store: np.ndarray
    store_phone: np.ndarray
    store_phone_store: np.ndarray
    level: np.ndarray
    rate: np.ndarray
    leaves: np.ndarray
    mini_share: np.ndarray
    browse_rate: np.ndarray
    sharer: np.ndarray
    favourite: np.ndarray

    def names(self, index: np.ndarray, gb18030: bool = False) -> pa.Array:
        """Full names of the people at `index`, as UTF-8 strings or GB18030 bytes."""
        surnames, given = _name_tables(gb18030)
        return text.join(text.take(surnames, self.surname[index]), text.take(given, self.given1[index]),
                         text.take(given, self.given2[index]))


def _name_tables(gb18030: bool) -> tuple[pa.Array, pa.Array]:
    surnames = [s for s, _, _ in catalog.SURNAMES]
    given = [""] + catalog.GIVEN_FEMALE + catalog.GIVEN_MALE + catalog.GIVEN_SHARED
    if gb18030:
        return (pa.array([s.encode("gb18030") for s in surnames], pa.binary()),
                pa.array([g.encode("gb18030") for g in given], pa.binary()))
    return text.strings(surnames), text.strings(given)


def nickname_table(for_json: bool) -> pa.Array:
    """Every nickname, escaped for a JSON string or quoted for a CSV cell."""
    names = [s + m for s in catalog.NICKNAME_STEMS for m in catalog.NICKNAME_MARKS] + catalog.NICKNAME_ODD
    return text.strings(text.json_string(names) if for_json else text.csv_cell(names))


def _given_names(rng: np.random.Generator, female: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    nf, nm, ns = len(catalog.GIVEN_FEMALE), len(catalog.GIVEN_MALE), len(catalog.GIVEN_SHARED)
    n = len(female)

    def draw() -> np.ndarray:
        own = np.where(female, 1 + rng.integers(0, nf, n), 1 + nf + rng.integers(0, nm, n))
        shared = 1 + nf + nm + rng.integers(0, ns, n)
        return np.where(rng.random(n) < 0.15, shared, own)

    first = draw()
    second = np.where(rng.random(n) < 0.72, draw(), 0)
    return first.astype(np.int16), second.astype(np.int16)


def _birthdays(rng: np.random.Generator, n: int) -> np.ndarray:
    year = np.clip(np.round(rng.normal(1987, 9.5, n)), 1955, 2008).astype(np.int64)
    jan1 = (np.array(year - 1970, "datetime64[Y]").astype("datetime64[D]")).astype(np.int64)
    return jan1 + rng.integers(0, 365, n)


def _systems(rng: np.random.Generator, n: int) -> np.ndarray:
    """Which systems (mini, wecom, member) each person will be in; at least one."""
    share = np.array(list(SYSTEM_SHARE.values()))
    present = rng.random((n, 3)) < share
    none = ~present.any(axis=1)
    present[none, rng.choice(3, none.sum(), p=share / share.sum())] = True
    return present


def _registrations(rng: np.random.Generator, joined: np.ndarray, present: np.ndarray) -> np.ndarray:
    """When each person registered in each system: the first one when they joined, others later."""
    n = len(joined)
    first = np.argmax(np.where(present, rng.random((n, 3)) * np.array(list(SYSTEM_SHARE.values())), -1), axis=1)
    same_day = rng.random((n, 3)) < 0.3
    delay = np.where(same_day, rng.integers(60, 3 * 3600, (n, 3)), rng.exponential(60 * DAY, (n, 3)).astype(np.int64))
    at = joined[:, None] + delay
    at[np.arange(n), first] = joined
    return np.where(present, at, np.iinfo(np.int64).max)


def _mobiles(rng: np.random.Generator, count: int) -> np.ndarray:
    """`count` distinct valid mobile numbers (a bijection over the last eight digits keeps them apart)."""
    suffix = text.scrambled(np.arange(count), SUFFIXES, int(rng.integers(0, SUFFIXES)))
    prefix = rng.choice(MOBILE_PREFIXES, count)
    number = prefix * SUFFIXES + suffix
    return np.where(number == 13800138000, 13900138000, number)


def build(period: Period, customers: int, stores: int) -> Population:
    rng = period.rng("people")
    n = customers
    female = rng.random(n) < 0.56
    weights = np.array([w for _, _, w in catalog.SURNAMES], float)
    surname = rng.choice(len(weights), n, p=weights / weights.sum()).astype(np.int16)
    given1, given2 = _given_names(rng, female)
    birthday = _birthdays(rng, n)
    phones = max(2, round(customers * STORE_PHONES_PER_CUSTOMER))
    numbers = _mobiles(period.rng("mobiles"), n + phones)

    before = rng.random(n) < PRE_EXISTING
    day = np.where(before, period.first_day - rng.integers(1, HISTORY_DAYS + 1, n),
                   period.first_day + rng.integers(0, period.days, n))
    joined = clock(rng, day, ONLINE_HOURS)
    present = _systems(rng, n)
    at = _registrations(rng, joined, present)
    at[:, 2] = np.where(present[:, 2], clock(rng, at[:, 2] // DAY, STORE_HOURS), at[:, 2])
    joined = at.min(axis=1)
    inside = at <= period.end
    has_unionid = rng.random(n) < HAS_UNIONID
    store_weights = 1 / (np.arange(stores) + 4.0)
    home_store = rng.choice(stores, n, p=store_weights / store_weights.sum())

    openid = text.random_ids(rng, n, "o", 27)
    unionid = text.random_ids(rng, n, "oU", 26)
    external_userid = text.random_ids(rng, n, "wm", 30)

    b = period.rng("behaviour")
    buyer = b.random(n) < BUYER_SHARE
    shape = 0.9
    rate = np.where(buyer, b.gamma(shape, ORDERS_PER_BUYER_YEAR / 365 / shape, n), 0.0)
    lifetime = b.gamma(1.5, 1000 / 1.5, n)
    leaves = joined + (b.exponential(1.0, n) * lifetime * DAY).astype(np.int64)
    sharer = b.random(n) < 0.03
    both = inside[:, 0] & inside[:, 2]
    mini_share = np.where(both, b.beta(2, 2, n), np.where(inside[:, 0], 1.0, 0.0))

    return Population(
        n=n, surname=surname, given1=given1, given2=given2,
        gender=np.where(female, 2, 1).astype(np.int8), birthday=birthday,
        mobile=numbers[:n], nickname=rng.integers(0, len(nickname_table(False)), n),
        joined=joined, mini_at=at[:, 0], wecom_at=at[:, 1], member_at=at[:, 2],
        in_mini=inside[:, 0], in_wecom=inside[:, 1], in_member=inside[:, 2],
        has_unionid=has_unionid, openid=openid, unionid=unionid, external_userid=external_userid,
        home_store=home_store, store_phone=numbers[n:], store_phone_store=rng.choice(stores, phones),
        level=np.clip(b.lognormal(np.log(170), 0.55, n), 25, 3000),
        rate=rate, leaves=leaves, mini_share=mini_share,
        browse_rate=b.gamma(0.8, 9 / 365 / 0.8, n) * np.where(sharer, 8, 1), sharer=sharer,
        favourite=b.integers(0, len(catalog.CATEGORIES), n),
    )
