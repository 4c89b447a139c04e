"""The membership / POS system: member records, in-store orders and the points ledger.

Members register at a store (mobile typed by the clerk in any format, unionid known for some),
and are dumped whole on snapshot days, with the tier the member system computes from lifetime
spend and the current points balance. About 1% registered twice with the same mobile, a few
store phones were typed into dozens of records, and a few records are frozen or cancelled. Old
member systems export GB18030, so every third snapshot is GB18030. In-store orders are paid at
the till (a few refunded days later); the ledger earns a point per yuan, plus check-ins, and
spends them on redemptions and expiry. The first extract also holds the entries the opening
balance was earned by (in the year before; they last to the end of the month a year later),
so the balance a member snapshot shows is its ledger's sum, except for a few members the
member system corrected outside the ledger.
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import bad_rows, mobiles, purchases, staff, text
from .people import Population
from .period import ONLINE_HOURS, STORE_HOURS, Period
from .text import DAY
from .writers import Zone, csv_header, csv_lines, write_increment, write_snapshot

SOURCE = "member"
MEMBERS = ["member_id", "mobile", "unionid", "name", "gender", "birthday", "registered_at", "register_store_id",
           "tier_code", "points_balance", "status"]
OFFLINE = ["order_id", "member_id", "store_id", "order_status", "paid_amount", "paid_at", "updated_at"]
LEDGER = ["entry_id", "member_id", "points_delta", "reason", "occurred_at", "expires_at"]
TIERS = ["NORMAL", "SILVER", "GOLD", "PLATINUM"]
TIER_FROM_FEN = np.array([0, 1000, 3000, 8000]) * 100
STATUSES = ["active", "frozen", "cancelled"]
REASONS = ["purchase", "checkin", "redeem", "expire", "adjust"]
PURCHASE, CHECKIN, REDEEM, EXPIRE, ADJUST = range(5)
NO_EXPIRY = -1
KEY_SHIFT = 1 << 34
HISTORY_DAYS = 365  # the opening balance was earned in the year before the first extract date
HISTORY_VALID_MONTHS = 12  # points earned then last to the end of the month a year later
EXPIRED_SHARE = 30  # percent of purchase points still unspent when they expire
CHECKIN_VALID_MONTHS = 3  # half the check-in points lapse at the end of the third month after theirs
BALANCE_DRIFT = 0.02  # members whose balance in the member system differs from their ledger


@dataclass
class Members:
    person: np.ndarray
    registered: np.ndarray
    record_of: np.ndarray
    ids: pa.Array
    store: np.ndarray
    history: np.ndarray
    opening: np.ndarray
    status: np.ndarray
    status_day: np.ndarray
    cells: dict[str, pa.Array]
    name_gb18030: pa.Array


def build_members(period: Period, pop: Population, stores: int) -> Members:
    rng = period.rng("members")
    who = np.flatnonzero(pop.in_member)
    twice = rng.random(len(who)) < 0.01
    again = pop.member_at[who[twice]] + DAY + rng.exponential(120 * DAY, twice.sum()).astype(np.int64)
    again_ok = again <= period.end
    person = np.concatenate([who, who[twice][again_ok]])
    registered = np.concatenate([pop.member_at[who], again[again_ok]])
    primary = np.arange(len(person)) < len(who)
    order = np.argsort(registered, kind="stable")
    person, registered, primary = person[order], registered[order], primary[order]
    n = len(person)
    record_of = np.full(pop.n, -1, np.int64)
    record_of[person[primary]] = np.flatnonzero(primary)

    twice_person = np.zeros(pop.n, bool)
    twice_person[person[~primary]] = True
    has_mobile = (rng.random(n) < 0.95) | twice_person[person]
    numbers = pop.mobile[person]
    typed = mobiles.spoil(rng, mobiles.typed(rng, numbers[has_mobile]), numbers[has_mobile], 0.003, 0.001)
    mobile = pc.replace_with_mask(text.constant(n), pa.array(has_mobile), typed)
    store = np.where(rng.random(n) < 0.85, pop.home_store[person], rng.integers(0, stores, n))

    phones = len(pop.store_phone)
    candidates = np.flatnonzero(primary & has_mobile & ~twice_person[person])
    per_phone = np.clip(rng.integers(20, 51, phones), 5, max(5, int(n * 0.06 / phones)))
    take = min(int(per_phone.sum()), len(candidates))
    shared = np.sort(rng.choice(candidates, take, replace=False)) if take else np.zeros(0, np.int64)
    phone = np.repeat(np.arange(phones), per_phone)[:take][rng.permutation(take)]
    mask = np.zeros(n, bool)
    mask[shared] = True
    mobile = pc.replace_with_mask(mobile, pa.array(mask), mobiles.typed(rng, pop.store_phone[phone]))
    store[shared] = pop.store_phone_store[phone]

    unionid = text.choose(primary & pop.has_unionid[person] & (rng.random(n) < 0.3),
                          pop.unionid.take(pa.array(person)), "")
    gender = np.where(rng.random(n) < 0.03, 2, pop.gender[person] - 1)
    birthday = text.choose(rng.random(n) < 0.85, text.dates(pop.birthday[person]), "")

    status = rng.choice(3, n, p=[0.97, 0.02, 0.01])
    since = np.maximum(registered // DAY, period.first_day)
    status_day = since + (rng.random(n) * (period.last_day - since + 1)).astype(np.int64)

    offline_rate = pop.rate[person] * (1 - pop.mini_share[person])
    years_before = np.maximum(period.start - registered, 0) / DAY
    history = np.where(primary, rng.poisson(offline_rate * years_before * 0.6) * pop.level[person] * 100, 0)
    history = history.astype(np.int64)
    opening = (history // 100 * rng.uniform(0.2, 0.8, n)).astype(np.int64)

    salt = int(rng.integers(0, 10**10))
    ids = text.join("M", text.digits(text.scrambled(np.arange(n), 10**10, salt), 10))
    cells = {
        "member_id": ids, "mobile": mobile, "unionid": unionid, "name": pop.names(person),
        "gender": text.take(text.strings(["M", "F", "U"]), gender), "birthday": birthday,
        "registered_at": text.timestamps(registered), "register_store_id": staff.store_ids(store),
    }
    return Members(person=person, registered=registered, record_of=record_of, ids=ids, store=store,
                   history=history, opening=opening, status=status, status_day=status_day, cells=cells,
                   name_gb18030=pop.names(person, gb18030=True))


@dataclass
class Offline:
    record: np.ndarray
    paid_at: np.ndarray
    amount: np.ndarray
    store: np.ndarray
    refunded_at: np.ndarray


def build_offline(period: Period, pop: Population, members: Members, stores: int) -> Offline:
    rng = period.rng("offline_orders")
    who = members.person[members.record_of[members.person] == np.arange(len(members.person))]
    who = who[pop.rate[who] > 0]
    stop = np.minimum(pop.leaves[who], period.end)
    person, at = purchases.orders(rng, who, pop.member_at[who], period.start, stop,
                                  pop.rate[who] * (1 - pop.mini_share[who]), STORE_HOURS)
    record = members.record_of[person]
    amount = purchases.amounts(rng, pop.level[person]) // 10 * 10
    n = len(record)
    store = np.where(rng.random(n) < 0.8, members.store[record], rng.integers(0, stores, n))
    refund = at + rng.integers(2 * DAY, 15 * DAY, n)
    refunded_at = np.where((rng.random(n) < 0.03) & (refund <= period.end), refund, -1)
    return Offline(record=record, paid_at=at, amount=amount, store=store, refunded_at=refunded_at)


def write_offline(zone: Zone, period: Period, members: Members, offline: Offline, rate: float) -> None:
    rng = period.rng("offline_orders")
    n = len(offline.record)
    refunded = np.flatnonzero(offline.refunded_at >= 0)
    row_order = np.concatenate([np.arange(n), refunded])
    row_updated = np.concatenate([offline.paid_at, offline.refunded_at[refunded]])
    row_refund = np.concatenate([np.zeros(n, np.int8), np.ones(len(refunded), np.int8)])
    order = np.argsort(row_updated, kind="stable")
    row_order, row_updated, row_refund = row_order[order], row_updated[order], row_refund[order]
    statuses = text.strings(["paid", "refunded"])
    salt = int(rng.integers(0, 10**8))

    def render(lo: int, hi: int) -> dict[str, list]:
        o = row_order[lo:hi]
        serial = text.digits(text.scrambled(o, 10**8, salt), 8)
        return {
            "order_id": ["PO", text.compact_dates(offline.paid_at[o] // DAY), serial],
            "member_id": members.ids.take(pa.array(offline.record[o])),
            "store_id": staff.store_ids(offline.store[o]),
            "order_status": text.take(statuses, row_refund[lo:hi]),
            "paid_amount": text.money(offline.amount[o]),
            "paid_at": text.timestamp_pieces(offline.paid_at[o]),
            "updated_at": text.timestamp_pieces(row_updated[lo:hi]),
        }

    faults = bad_rows.Faults(period.rng("bad.offline_orders"), rate, [
        bad_rows.missing("order_id"), bad_rows.negative("paid_amount"),
        bad_rows.unknown("order_status", ("paied", "unknown")), bad_rows.timestamp("paid_at"),
    ])
    write_increment(zone, SOURCE, "offline_orders.csv", csv_header(OFFLINE), row_updated // DAY, render,
                    csv_lines, faults)


@dataclass
class Ledger:
    drift: np.ndarray
    record: np.ndarray
    delta: np.ndarray
    reason: np.ndarray
    at: np.ndarray
    expires: np.ndarray


def _year_end(t: np.ndarray, years_ahead: int) -> np.ndarray:
    """23:59:59 on 31 December, `years_ahead` years after the year of `t`."""
    year = (t // DAY).astype("datetime64[D]").astype("datetime64[Y]")
    return ((year + years_ahead + 1).astype("datetime64[D]").astype(np.int64)) * DAY - 1


def _running_points(record: np.ndarray, at: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (record, time) keys of purchases and the running points total before each key (one longer)."""
    key = record.astype(np.int64) * KEY_SHIFT + at
    order = np.argsort(key, kind="stable")
    return key[order], np.concatenate([[0], np.cumsum(points[order])])


def _month_end(t: np.ndarray, months_ahead: int) -> np.ndarray:
    """23:59:59 on the last day of the month `months_ahead` months after the month of `t`."""
    month = (t // DAY).astype("datetime64[D]").astype("datetime64[M]")
    return ((month + months_ahead + 1).astype("datetime64[D]").astype(np.int64)) * DAY - 1


def _expiries(rng: np.random.Generator, period: Period, parts: list) -> tuple:
    """The `expire` entries of the points earned so far whose expiry passed before the end.

    One entry per member and expiry time, early the next morning, taking what is left of
    those points: every check-in point, and of purchase points the share not spent before.
    """
    earned = [p for p in parts if p[2] in (PURCHASE, CHECKIN)]
    record = np.concatenate([np.broadcast_to(p[0], p[0].shape) for p in earned])
    points = np.concatenate([np.broadcast_to(p[1], p[0].shape) for p in earned])
    reason = np.concatenate([np.broadcast_to(p[2], p[0].shape) for p in earned])
    expires = np.concatenate([np.broadcast_to(p[4], p[0].shape) for p in earned])
    left = np.where(reason == CHECKIN, points, points * EXPIRED_SHARE // 100)
    passed = (expires != NO_EXPIRY) & ((expires // DAY + 1) * DAY + 2 * 3600 <= period.end) & (left > 0)
    key, index = np.unique(record[passed].astype(np.int64) * KEY_SHIFT + expires[passed], return_inverse=True)
    total = np.bincount(index, weights=left[passed], minlength=len(key)).astype(np.int64)
    at = (key % KEY_SHIFT // DAY + 1) * DAY + rng.integers(300, 2 * 3600, len(key))
    return key // KEY_SHIFT, -total, EXPIRE, at, np.full(len(key), NO_EXPIRY)


def build_ledger(period: Period, pop: Population, members: Members, offline: Offline) -> Ledger:
    rng = period.rng("points_ledger")
    n = len(members.person)
    parts = []
    points = offline.amount // 100
    parts.append((offline.record, points, PURCHASE, offline.paid_at, _year_end(offline.paid_at, 1)))
    back = offline.refunded_at >= 0
    parts.append((offline.record[back], -points[back], ADJUST, offline.refunded_at[back],
                   np.full(back.sum(), NO_EXPIRY)))

    records = np.arange(n)
    begin = np.maximum(members.registered, period.start)
    alive = np.minimum(pop.leaves[members.person] + 30 * DAY, period.end)
    keen = rng.random(n) < 0.25
    who, at = purchases.happenings(rng, records[keen], begin[keen], alive[keen],
                                   np.full(keen.sum(), 25 / 365), ONLINE_HOURS)
    expires = np.where(rng.random(len(who)) < 0.5, _month_end(at, CHECKIN_VALID_MONTHS), NO_EXPIRY)
    parts.append((who, np.full(len(who), 5), CHECKIN, at, expires))

    earned_key, earned = _running_points(offline.record, offline.paid_at, points)
    redeemer = rng.random(n) < 0.4
    who, at = purchases.happenings(rng, records[redeemer], begin[redeemer], alive[redeemer],
                                   np.full(redeemer.sum(), 2 / 365), ONLINE_HOURS)
    spend = -100 * rng.integers(1, 6, len(who))
    order = np.lexsort((at, who))
    who, at, spend = who[order], at[order], spend[order]
    cumulative = np.cumsum(spend)
    first = np.searchsorted(who, who, side="left")
    redeemed = -(cumulative - np.concatenate([[0], cumulative])[first])
    available = members.opening[who] + earned[np.searchsorted(earned_key, who * KEY_SHIFT + at, side="right")] \
        - earned[np.searchsorted(earned_key, who * KEY_SHIFT, side="left")]
    fits = redeemed <= available * 0.7
    parts.append((who[fits], spend[fits], REDEEM, at[fits], np.full(fits.sum(), NO_EXPIRY)))

    history = period.rng("points_history")
    held = np.flatnonzero(members.opening > 0)
    earliest = np.maximum(members.registered[held], period.start - HISTORY_DAYS * DAY)
    at = earliest + (history.random(len(held)) * (period.start - 1 - earliest)).astype(np.int64)
    parts.append((held, members.opening[held], PURCHASE, at, _month_end(at, HISTORY_VALID_MONTHS)))
    parts.append(_expiries(history, period, parts))

    goodwill = np.flatnonzero(rng.random(n) < 0.005)
    at = begin[goodwill] + (rng.random(len(goodwill)) * np.maximum(period.end - begin[goodwill], 0)).astype(np.int64)
    parts.append((goodwill, 50 * rng.integers(1, 3, len(goodwill)), ADJUST, at, np.full(len(goodwill), NO_EXPIRY)))

    record = np.concatenate([p[0] for p in parts])
    at = np.concatenate([p[3] for p in parts])
    order = np.argsort(at, kind="stable")
    drift = np.where(history.random(n) < BALANCE_DRIFT, 10 * history.integers(-20, 21, n), 0)
    return Ledger(
        drift=drift.astype(np.int64),
        record=record[order],
        delta=np.concatenate([np.broadcast_to(p[1], p[0].shape) for p in parts])[order].astype(np.int64),
        reason=np.concatenate([np.broadcast_to(p[2], p[0].shape) for p in parts])[order].astype(np.int8),
        at=at[order],
        expires=np.concatenate([np.broadcast_to(p[4], p[0].shape) for p in parts])[order],
    )


def write_ledger(zone: Zone, period: Period, members: Members, ledger: Ledger, rate: float) -> None:
    reasons = text.strings(REASONS)
    salt = int(period.rng("points_ledger").integers(0, 10**12))

    def render(lo: int, hi: int) -> dict[str, list]:
        expires = ledger.expires[lo:hi]
        return {
            "entry_id": ["PL", text.digits(text.scrambled(np.arange(lo, hi), 10**12, salt), 12)],
            "member_id": members.ids.take(pa.array(ledger.record[lo:hi])),
            "points_delta": text.integers(ledger.delta[lo:hi]),
            "reason": text.take(reasons, ledger.reason[lo:hi]),
            "occurred_at": text.timestamp_pieces(ledger.at[lo:hi]),
            "expires_at": text.choose(expires != NO_EXPIRY, text.timestamps(np.maximum(expires, 0)), ""),
        }

    faults = bad_rows.Faults(period.rng("bad.points_ledger"), rate, [
        bad_rows.missing("entry_id"), bad_rows.unknown("reason", ("unknown", "bonus")),
        bad_rows.timestamp("occurred_at"),
    ])
    folder = np.maximum(ledger.at // DAY, period.first_day)  # the first extract holds the earlier history
    write_increment(zone, SOURCE, "points_ledger.csv", csv_header(LEDGER), folder, render, csv_lines, faults)


def write_members(zone: Zone, period: Period, members: Members, offline: Offline, ledger: Ledger,
                  rate: float) -> None:
    n = len(members.person)
    statics = text.join(*members.cells.values(), sep=",")
    statics_gb = text.join(*{**members.cells, "name": members.name_gb18030}.values(), sep=",")
    tiers, statuses = text.strings(TIERS), text.strings(STATUSES)
    balance, spent = np.zeros(n, np.int64), members.history.copy()
    ledger_day, paid_day = ledger.at // DAY, offline.paid_at // DAY
    registered_day = members.registered // DAY
    seen_ledger = seen_paid = 0
    faults = bad_rows.Faults(period.rng("bad.members"), rate, [
        bad_rows.missing("member_id"), bad_rows.unknown("status", ("unknown", "deleted")),
        bad_rows.timestamp("registered_at"), bad_rows.bad_date("birthday"),
    ])
    for k, d in enumerate(period.snapshot_days()):
        upto = int(np.searchsorted(ledger_day, d, side="right"))
        balance += np.bincount(ledger.record[seen_ledger:upto], ledger.delta[seen_ledger:upto], n).astype(np.int64)
        seen_ledger = upto
        upto = int(np.searchsorted(paid_day, d, side="right"))
        spent += np.bincount(offline.record[seen_paid:upto], offline.amount[seen_paid:upto], n).astype(np.int64)
        seen_paid = upto
        count = int(np.searchsorted(registered_day, d, side="right"))
        tier = np.searchsorted(TIER_FROM_FEN, spent[:count], side="right") - 1
        status = np.where(members.status_day[:count] <= d, members.status[:count], 0)
        shown = balance[:count] + ledger.drift[:count]
        dynamic = {"tier_code": text.take(tiers, tier), "points_balance": text.integers(shown),
                   "status": text.take(statuses, status)}
        gb = k % 3 == 0
        lines = text.lines([(statics_gb if gb else statics).slice(0, count), *dynamic.values()])
        rows, kind, value = faults.snapshot_rows(count)
        picked = pa.array(rows)
        cells = {c: v.take(picked) for c, v in members.cells.items()}
        if gb:
            cells["name"] = members.name_gb18030.take(picked)
        cells |= {c: v.take(picked) for c, v in dynamic.items()}
        copies = text.lines(list(faults.corrupt(cells, kind, value).values()))
        write_snapshot(zone, SOURCE, "members.csv", int(d), csv_header(MEMBERS), lines, copies)
    zone.report(SOURCE, "members.csv")


def write(zone: Zone, period: Period, pop: Population, stores: int, rate: float) -> None:
    members = build_members(period, pop, stores)
    offline = build_offline(period, pop, members, stores)
    ledger = build_ledger(period, pop, members, offline)
    write_members(zone, period, members, offline, ledger, rate)
    write_offline(zone, period, members, offline, rate)
    write_ledger(zone, period, members, ledger, rate)
