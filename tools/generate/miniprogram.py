"""The WeChat mini-program shop: users, orders and their status changes, order lines, and events.

Users register (about half authorise their mobile) and are dumped whole on snapshot days. An
order is created, usually paid within minutes (the first row is already `paid`), sometimes
shipped, often completed days later, occasionally cancelled before paying or refunded after;
each change is a new row in the folder of the day it happened. Lines come from the catalog and
add up to the order total, less any coupon (one whose threshold the total reaches). Some buyers
replenish a category on a routine (formula every month, diapers every three weeks, skincare
every two months); most other lines are everyday categories, and one-off ones are rarely bought
twice. Events are browsing sessions (page and product views, carts, shares, coupons, check-ins,
live streams, searches) on the days people are active, and just before each order. Coupon
grants come from the coupon claims among the events and before each order that used a coupon:
a grant is `unused`, then `used` (in the folder of the day its order was paid) or `expired`
(the morning after it expired).
"""

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import bad_rows, catalog, mobiles, purchases, text
from .people import Population, nickname_table
from .period import ONLINE_HOURS, Period
from .text import DAY
from .writers import Zone, csv_header, csv_lines, json_lines, write_increment, write_snapshot

SOURCE = "miniprogram"
USERS = ["openid", "unionid", "mobile", "nickname", "registered_at"]
ORDERS = ["order_id", "openid", "order_status", "total_amount", "discount_amount", "paid_amount",
          "coupon_id", "created_at", "paid_at", "updated_at"]
GRANTS = ["grant_id", "openid", "coupon_id", "coupon_name", "face_value", "min_spend", "granted_at", "expires_at",
          "status", "used_order_id", "updated_at"]
GRANT_STATUSES = ["unused", "used", "expired"]
UNUSED, USED, EXPIRED = range(3)
GRANT_DAYS, GRANT_DAYS_WEIGHTS = [7, 14, 30], [0.3, 0.4, 0.3]
ITEMS = ["order_id", "line_no", "sku_id", "product_name", "category", "quantity", "unit_price"]
STATUSES = ["created", "paid", "shipped", "completed", "cancelled", "refunded"]
CREATED, PAID, SHIPPED, COMPLETED, CANCELLED, REFUNDED = range(6)
EVENTS = ["page_view", "product_view", "add_to_cart", "share", "coupon_claim", "checkin", "live_watch", "search"]
FIRST_EVENT = [0.55, 0.10, 0.0, 0.0, 0.06, 0.20, 0.05, 0.04]
LATER_EVENT = [0.20, 0.47, 0.12, 0.06, 0.05, 0.0, 0.03, 0.07]
LIVE_ROOMS = 30
ROUTINE_SHARE = 0.5
ROUTINE_WEIGHTS = [0.35, 0.35, 0.30]  # of catalog.CYCLE_DAYS, in its order
LINE_FAVOURITE, LINE_EVERYDAY, LINE_TRIAL = 0.55, 0.32, 0.03  # the rest: one-off categories
CATEGORY_STYLES = ["{}", " {}", "{} ", ""]  # how an item's category is exported: a few padded or empty
CATEGORY_STYLE_WEIGHTS = [0.994, 0.002, 0.002, 0.002]


@dataclass
class Orders:
    person: np.ndarray
    created: np.ndarray
    paid_at: np.ndarray
    total: np.ndarray
    discount: np.ndarray
    coupon: np.ndarray
    salt: int
    row_order: np.ndarray
    row_status: np.ndarray
    row_updated: np.ndarray
    line_order: np.ndarray
    line_no: np.ndarray
    line_sku: np.ndarray
    line_quantity: np.ndarray
    line_price: np.ndarray
    line_category: np.ndarray
    line_style: np.ndarray

    def id_pieces(self, order: np.ndarray) -> list:
        serial = text.digits(text.scrambled(order, 10**8, self.salt), 8)
        return ["MO", text.compact_dates(self.created[order] // DAY), serial]


@dataclass
class Grants:
    person: np.ndarray
    granted: np.ndarray
    expires: np.ndarray
    face: np.ndarray
    order: np.ndarray
    salt: int
    row_grant: np.ndarray
    row_status: np.ndarray
    row_updated: np.ndarray


def coupon_ids(day: np.ndarray, face_yuan: np.ndarray) -> pa.Array:
    """Coupon campaign ids: one campaign per month and face value, e.g. `CP202610F020`."""
    month = pc.utf8_slice_codeunits(text.compact_dates(day), 0, 6)
    return text.join("CP", month, "F", text.digits(face_yuan, 3))


def _products():
    items = catalog.products()
    key = np.array([p.category * 10**9 + p.price_cents for p in items], np.int64)
    return items, key


def _pick_skus(rng: np.random.Generator, category: np.ndarray, target_cents: np.ndarray) -> np.ndarray:
    """A SKU of each category priced near each target."""
    items, key = _products()
    cats = np.array([p.category for p in items])
    lo = np.searchsorted(cats, category, side="left")
    hi = np.searchsorted(cats, category, side="right") - 1
    pos = np.searchsorted(key, category * 10**9 + target_cents) - (rng.random(len(category)) < 0.5)
    return np.clip(pos, lo, hi)


def _routines(period: Period, pop: Population, who: np.ndarray, rate: np.ndarray,
              stop: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Who replenishes a category on a routine, and those purchases.

    About half the buyers who order at least once per cycle of a replenishable category (drawn
    for them) are on a routine of it; their other orders keep the rest of their rate, so the
    number of orders stays the same. Returns (person, time) of the routine orders, each
    person's routine category (-1 for none) and the rate of the other orders of `who`.
    """
    rng = period.rng("routines")
    names = list(catalog.CYCLE_DAYS)
    category = np.array([catalog.CATEGORIES.index(c) for c in names])
    cycle = np.array([catalog.CYCLE_DAYS[c] for c in names], float)
    pick = rng.choice(len(names), len(who), p=ROUTINE_WEIGHTS)
    on = (rng.random(len(who)) < ROUTINE_SHARE) & (rate * cycle[pick] >= 1)
    begin = np.maximum(pop.mini_at[who], period.start)
    person, at = purchases.routine(rng, who[on], begin[on], stop[on], cycle[pick[on]], ONLINE_HOURS)
    routine_of = np.full(pop.n, -1, np.int64)
    routine_of[who[on]] = category[pick[on]]
    return person, at, routine_of, np.where(on, rate - 1 / cycle[pick], rate)


def _categories(rng: np.random.Generator, pop: Population, owner: np.ndarray, first_of_routine: np.ndarray,
                routine_of: np.ndarray) -> np.ndarray:
    """The category of each order line (lines in time order, `owner` the buyer of each).

    A routine order's first line is the routine's category. The other lines are mostly the
    buyer's favourite everyday category or another everyday one, sometimes a one-off category
    (a later line of a one-off category the buyer already had mostly becomes an everyday one)
    and now and then a replenishable category tried once.
    """
    index = {c: i for i, c in enumerate(catalog.CATEGORIES)}
    everyday = np.array([index[c] for c in catalog.EVERYDAY])
    one_off = np.array([index[c] for c in catalog.ONE_OFF_REPEATS])
    replenish = np.array([index[c] for c in catalog.CYCLE_DAYS])
    n = len(owner)
    u = rng.random(n)
    other = everyday[rng.integers(0, len(everyday), n)]
    category = np.select(
        [u < LINE_FAVOURITE, u < LINE_FAVOURITE + LINE_EVERYDAY, u < 1 - LINE_TRIAL],
        [everyday[pop.favourite[owner] % len(everyday)], other, one_off[rng.integers(0, len(one_off), n)]],
        replenish[rng.integers(0, len(replenish), n)],
    )
    category = np.where(first_of_routine, routine_of[owner], category)
    lines = np.flatnonzero(np.isin(category, one_off))
    key = owner[lines].astype(np.int64) * len(index) + category[lines]
    by_key = np.argsort(key, kind="stable")  # each buyer's lines of a category, earliest first
    lines, key = lines[by_key], key[by_key]
    again = np.concatenate([[False], key[1:] == key[:-1]])
    repeats = np.zeros(len(index))
    repeats[one_off] = list(catalog.ONE_OFF_REPEATS.values())
    turned = lines[again & (rng.random(len(lines)) >= repeats[category[lines]])]
    category[turned] = other[turned]
    return category


def build_orders(period: Period, pop: Population) -> Orders:
    rng = period.rng("orders")
    who = np.flatnonzero(pop.in_mini & (pop.rate > 0))
    stop = np.minimum(pop.leaves[who], period.end)
    routine_person, routine_at, routine_of, rate = _routines(period, pop, who, pop.rate[who] * pop.mini_share[who],
                                                             stop)
    person, created = purchases.orders(rng, who, pop.mini_at[who], period.start, stop, rate, ONLINE_HOURS)
    person = np.concatenate([person, routine_person])
    created = np.concatenate([created, routine_at])
    routine = np.arange(len(person)) >= len(person) - len(routine_person)
    order = np.argsort(created, kind="stable")
    person, created, routine = person[order], created[order], routine[order]
    n = len(person)

    lines_rng = period.rng("order_items")
    k = lines_rng.choice([1, 2, 3, 4], n, p=[0.45, 0.30, 0.15, 0.10])
    line_order = np.repeat(np.arange(n), k)
    line_no = np.arange(len(line_order)) - np.repeat(np.cumsum(k) - k, k) + 1
    target = purchases.amounts(lines_rng, pop.level[person])
    quantity = lines_rng.choice([1, 2, 3], len(line_order), p=[0.72, 0.20, 0.08])
    unit_target = target[line_order] / k[line_order] / quantity * lines_rng.lognormal(0, 0.25, len(line_order))
    category = _categories(lines_rng, pop, person[line_order], routine[line_order] & (line_no == 1), routine_of)
    sku = _pick_skus(lines_rng, category, unit_target.astype(np.int64))
    price = np.array([p.price_cents for p in _products()[0]], np.int64)[sku]
    price = np.where(lines_rng.random(len(sku)) < 0.1, np.round(price * 0.9 / 10).astype(np.int64) * 10, price)
    total = np.bincount(line_order, weights=quantity * price, minlength=n).astype(np.int64)
    style = lines_rng.choice(len(CATEGORY_STYLES), len(line_order), p=CATEGORY_STYLE_WEIGHTS)

    faces = np.array(catalog.COUPON_FACES)
    face = rng.choice(len(faces), n, p=[0.25, 0.3, 0.2, 0.12, 0.09, 0.04])
    reachable = np.searchsorted(np.array(catalog.COUPON_MIN_SPEND) * 100, total, side="right") - 1
    face = faces[np.minimum(face, reachable)]
    discount = np.where(rng.random(n) < 0.2, face * 100, 0)
    coupon = np.where(discount > 0, face, 0)

    cancelled = rng.random(n) < 0.05
    refunded = ~cancelled & (rng.random(n) < 0.04)
    shipped = ~cancelled & ~refunded & (rng.random(n) < 0.06)
    completed = ~cancelled & ~refunded & (shipped | (rng.random(n) < 0.30))
    paid_at = np.where(cancelled, -1, created + rng.integers(5, 600, n))
    idx = np.arange(n)
    parts = [
        (idx, np.where(cancelled, CREATED, PAID), np.where(cancelled, created, paid_at)),
        (idx[cancelled], CANCELLED, created[cancelled] + rng.integers(600, DAY, cancelled.sum())),
        (idx[shipped], SHIPPED, paid_at[shipped] + rng.integers(DAY // 2, 2 * DAY, shipped.sum())),
        (idx[completed], COMPLETED, paid_at[completed] + rng.integers(4 * DAY, 10 * DAY, completed.sum())),
        (idx[refunded], REFUNDED, paid_at[refunded] + rng.integers(2 * DAY, 15 * DAY, refunded.sum())),
    ]
    row_order = np.concatenate([p[0] for p in parts])
    row_status = np.concatenate([np.broadcast_to(p[1], p[0].shape) for p in parts]).astype(np.int8)
    row_updated = np.concatenate([p[2] for p in parts])
    keep = row_updated <= period.end
    order = np.argsort(row_updated[keep], kind="stable")
    return Orders(
        person=person, created=created, paid_at=paid_at, total=total, discount=discount, coupon=coupon,
        salt=int(rng.integers(0, 10**8)), row_order=row_order[keep][order], row_status=row_status[keep][order],
        row_updated=row_updated[keep][order], line_order=line_order.astype(np.int32), line_no=line_no.astype(np.int8),
        line_sku=sku.astype(np.int16), line_quantity=quantity.astype(np.int8), line_price=price.astype(np.int32),
        line_category=category.astype(np.int8), line_style=style.astype(np.int8),
    )


def write_users(zone: Zone, period: Period, pop: Population, rate: float) -> None:
    rng = period.rng("users")
    idx = np.flatnonzero(pop.in_mini)
    idx = idx[np.argsort(pop.mini_at[idx], kind="stable")]
    n = len(idx)
    authorised = rng.random(n) < 0.5
    numbers = pop.mobile[idx[authorised]]
    typed = mobiles.spoil(rng, mobiles.typed(rng, numbers), numbers, 0.003, 0.001)
    cells = {
        "openid": pop.openid.take(pa.array(idx)),
        "unionid": text.choose(pop.has_unionid[idx], pop.unionid.take(pa.array(idx)), ""),
        "mobile": pc.replace_with_mask(text.constant(n), pa.array(authorised), typed),
        "nickname": text.take(nickname_table(for_json=False), pop.nickname[idx]),
        "registered_at": text.timestamps(pop.mini_at[idx]),
    }
    lines = csv_lines(cells)
    faults = bad_rows.Faults(period.rng("bad.users"), rate,
                             [bad_rows.missing("openid"), bad_rows.timestamp("registered_at")])
    day = pop.mini_at[idx] // DAY
    for k, d in enumerate(period.snapshot_days()):
        count = int(np.searchsorted(day, d, side="right"))
        rows, kind, value = faults.snapshot_rows(count)
        copies = csv_lines(faults.corrupt({c: v.take(pa.array(rows)) for c, v in cells.items()}, kind, value))
        write_snapshot(zone, SOURCE, "users.csv", int(d), csv_header(USERS), lines.slice(0, count), copies,
                       bom=k % 2 == 0)
    zone.report(SOURCE, "users.csv")


def write_orders(zone: Zone, period: Period, pop: Population, orders: Orders, rate: float) -> None:
    status_text = text.strings(STATUSES)

    def render(lo: int, hi: int) -> dict[str, list]:
        o = orders.row_order[lo:hi]
        status = orders.row_status[lo:hi]
        paid = (orders.paid_at[o] >= 0) & (status != CREATED)
        return {
            "order_id": orders.id_pieces(o),
            "openid": pop.openid.take(pa.array(orders.person[o])),
            "order_status": text.take(status_text, status),
            "total_amount": text.money(orders.total[o]),
            "discount_amount": text.money(orders.discount[o]),
            "paid_amount": text.money(orders.total[o] - orders.discount[o]),
            "coupon_id": text.choose(orders.coupon[o] > 0,
                                     coupon_ids(orders.created[o] // DAY, orders.coupon[o]), ""),
            "created_at": text.timestamp_pieces(orders.created[o]),
            "paid_at": text.choose(paid, text.timestamps(np.maximum(orders.paid_at[o], orders.created[o])), ""),
            "updated_at": text.timestamp_pieces(orders.row_updated[lo:hi]),
        }

    faults = bad_rows.Faults(period.rng("bad.orders"), rate, [
        bad_rows.timestamp("created_at"), bad_rows.timestamp("updated_at"), bad_rows.negative("paid_amount"),
        bad_rows.unknown("order_status", ("paied", "unknown")), bad_rows.missing("order_id"),
    ])
    write_increment(zone, SOURCE, "orders.csv", csv_header(ORDERS), orders.row_updated // DAY, render,
                    csv_lines, faults)


def write_items(zone: Zone, period: Period, orders: Orders, rate: float) -> None:
    items = catalog.products()
    sku_text = text.strings(p.sku_id for p in items)
    names = text.strings(text.csv_cell([p.name for p in items]))
    categories = text.strings(style.format(c) for c in catalog.CATEGORIES for style in CATEGORY_STYLES)

    def render(lo: int, hi: int) -> dict[str, list]:
        sku = orders.line_sku[lo:hi]
        return {
            "order_id": orders.id_pieces(orders.line_order[lo:hi]),
            "line_no": text.integers(orders.line_no[lo:hi]),
            "sku_id": text.take(sku_text, sku),
            "product_name": text.take(names, sku),
            "category": text.take(categories, orders.line_category[lo:hi].astype(np.int64) * len(CATEGORY_STYLES)
                                  + orders.line_style[lo:hi]),
            "quantity": text.integers(orders.line_quantity[lo:hi]),
            "unit_price": text.money(orders.line_price[lo:hi]),
        }

    faults = bad_rows.Faults(period.rng("bad.order_items"), rate,
                             [bad_rows.negative("unit_price"), bad_rows.missing("order_id")])
    write_increment(zone, SOURCE, "order_items.csv", csv_header(ITEMS),
                    orders.created[orders.line_order] // DAY, render, csv_lines, faults)


def _property_openings(period: Period) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """Every `,"properties":{…` opening an event can have, with each event kind's first index and count.

    A coupon claim's opening is picked by month and face value: index first + month * faces + face.
    """
    months = sorted({d.strftime("%Y%m") for d in period.dates()})
    skus = [p.sku_id for p in catalog.products()]
    openings = [
        [f'"page":"{page}"' for page in catalog.PAGES],
        [f'"sku_id":"{sku}","page":"pages/goods/detail"' for sku in skus],
        [f'"sku_id":"{sku}","quantity":' for sku in skus],
        [f'"share_to":"{target}"' for target in catalog.SHARE_TARGETS],
        [f'"coupon_id":"CP{m}F{f:03d}"' for m in months for f in catalog.COUPON_FACES],
        ['"days_in_row":'],
        [f'"room_id":"live_{i:04d}","seconds":' for i in range(1, LIVE_ROOMS + 1)],
        [f'"keyword":"{word}"' for word in text.json_string(catalog.SEARCH_WORDS)],
    ]
    first = np.cumsum([0] + [len(o) for o in openings[:-1]])
    count = np.array([len(o) for o in openings])
    count[4] = len(catalog.COUPON_FACES)
    table = text.strings(',"properties":{' + o for group in openings for o in group)
    return table, first, count


def _kind_table(weights: list[float], size: int = 1000) -> np.ndarray:
    """A lookup table turning a uniform integer in [0, size) into an event kind with these weights."""
    counts = np.round(np.array(weights) / sum(weights) * size).astype(np.int64)
    counts[np.argmax(counts)] += size - counts.sum()
    return np.repeat(np.arange(len(weights), dtype=np.int8), counts)


def _sessions(rng: np.random.Generator, period: Period, pop: Population, orders: Orders):
    """Browsing sessions on active days plus one just before each order: (person, start, shopping), by start."""
    users = np.flatnonzero(pop.in_mini)
    begin = np.maximum(pop.mini_at[users], period.start)
    stop = np.minimum(pop.leaves[users] + 30 * DAY, period.end)
    browse_person, browse_at = purchases.happenings(rng, users, begin, stop, pop.browse_rate[users], ONLINE_HOURS)
    shop_at = np.maximum.reduce([orders.created - rng.integers(60, 1800, len(orders.created)),
                                 pop.mini_at[orders.person], np.full(len(orders.created), period.start)])
    person = np.concatenate([browse_person, orders.person]).astype(np.int32)
    at = np.concatenate([browse_at, shop_at])
    shopping = np.concatenate([np.zeros(len(browse_at), bool), np.ones(len(shop_at), bool)])
    order = np.argsort(at, kind="stable")
    return person[order], at[order], shopping[order]


@dataclass
class Claims:
    """The coupon claims among the events: who, when, and the index of the face claimed."""

    person: np.ndarray
    at: np.ndarray
    face: np.ndarray


def write_events(zone: Zone, period: Period, pop: Population, orders: Orders, rate: float) -> Claims:
    rng = period.rng("events")
    session_person, session_at, shopping = _sessions(rng, period, pop, orders)
    size = np.where(shopping, 2 + rng.poisson(1.2, len(shopping)), 1 + rng.poisson(1.0, len(shopping)))
    session = np.repeat(np.arange(len(size), dtype=np.int32), size)
    n = len(session)
    position = (np.arange(n, dtype=np.int32) - np.repeat((np.cumsum(size) - size).astype(np.int32), size))
    day_end = (session_at // DAY + 1) * DAY - 1
    at = np.minimum(session_at[session] + position * 45 + rng.integers(0, 45, n, dtype=np.int16), day_end[session])
    del day_end, session_at
    person = session_person[session]
    pick = rng.integers(0, 1000, n, dtype=np.int16)
    kind = np.where(position == 0, _kind_table(FIRST_EVENT)[pick], _kind_table(LATER_EVENT)[pick])
    kind[(position > 0) & pop.sharer[person] & (pick % 2 == 0)] = 3
    kind[(position == np.repeat(size - 1, size)) & shopping[session]] = 2
    del session, position, pick, size, shopping, session_person

    openings, first, count = _property_openings(period)
    months = {m: i for i, m in enumerate(sorted({d.strftime("%Y%m") for d in period.dates()}))}
    month_of_day = np.array([months[d.strftime("%Y%m")] for d in period.dates()], np.int32)
    opening = first[kind] + (rng.random(n) * count[kind]).astype(np.int32)
    coupon = kind == 4
    claims = Claims(person=person[coupon], at=at[coupon], face=opening[coupon] - first[4])
    opening[coupon] += month_of_day[at[coupon] // DAY - period.first_day] * len(catalog.COUPON_FACES)
    number = np.zeros(n, np.int16)
    for k, low, high in ((2, 1, 4), (5, 1, 60), (6, 30, 3600)):
        chosen = kind == k
        number[chosen] = rng.integers(low, high, int(chosen.sum()))
    numbers = text.strings([""] + [str(i) for i in range(1, 3600)])
    names = text.strings(f',"event_name":"{name}"' for name in EVENTS)
    salt = int(rng.integers(0, 10**12))

    def render(lo: int, hi: int) -> dict[str, list]:
        k = kind[lo:hi]
        return {
            "event_id": ['"event_id":"ev', text.digits(text.scrambled(np.arange(lo, hi), 10**12, salt), 12), '",'],
            "openid": ['"openid":"', pop.openid.take(pa.array(person[lo:hi])), '"'],
            "event_name": [text.take(names, k)],
            "event_at": [',"event_at":"', *text.timestamp_pieces(at[lo:hi]), '"'],
            "properties": [text.take(openings, opening[lo:hi]), text.take(numbers, number[lo:hi]), "}"],
        }

    faults = bad_rows.Faults(period.rng("bad.events"), rate, [
        bad_rows.missing("event_id"), bad_rows.timestamp("event_at", wrap=',"event_at":"{}"'),
    ], truncate=True)
    write_increment(zone, SOURCE, "events.jsonl", b"", at // DAY, render, json_lines, faults)
    return claims


def _grants(period: Period, pop: Population, orders: Orders, claims: Claims) -> Grants:
    """Every coupon grant: one per coupon claimed, and one before each order that used a coupon.

    A grant lasts 7, 14 or 30 days (a grant for an order at least until the order). The grant
    an order used was given in the order's month (a coupon id names its month), up to 20 days
    before it; it is used when the order is paid (a cancelled order gives it back). A claimed
    coupon is never used here: it expires, or is still unused at the end.
    """
    rng = period.rng("coupon_grants")
    faces = np.array(catalog.COUPON_FACES)
    with_coupon = np.flatnonzero(orders.coupon > 0)
    created = orders.created[with_coupon]
    paid = orders.paid_at[with_coupon]
    month_start = (created // DAY).astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]")
    earliest = np.maximum.reduce([month_start.astype(np.int64) * DAY, pop.mini_at[orders.person[with_coupon]],
                                  np.full(len(with_coupon), period.start)])
    granted = created - rng.integers(600, 20 * DAY, len(with_coupon))
    granted = np.where(granted >= earliest, granted,
                       earliest + (rng.random(len(with_coupon)) * (created - earliest)).astype(np.int64))
    needed = (np.maximum(paid, created) - granted) // DAY + 1
    person = np.concatenate([orders.person[with_coupon], claims.person])
    granted = np.concatenate([granted, claims.at])
    n = len(person)
    days = np.array(GRANT_DAYS)[rng.choice(len(GRANT_DAYS), n, p=GRANT_DAYS_WEIGHTS)]
    days[: len(with_coupon)] = np.maximum(days[: len(with_coupon)], needed)
    face = np.concatenate([np.searchsorted(faces, orders.coupon[with_coupon]), claims.face])
    order = np.concatenate([np.where(paid >= 0, with_coupon, -1), np.full(len(claims.person), -1)])
    expires = granted + days * DAY
    used_at = np.where(order >= 0, orders.paid_at[np.maximum(order, 0)], -1)
    expired_at = (expires // DAY + 1) * DAY + rng.integers(300, 2 * 3600, n)
    by_time = np.argsort(granted, kind="stable")
    person, granted, face, order, expires, used_at, expired_at = (
        a[by_time] for a in (person, granted, face, order, expires, used_at, expired_at)
    )

    used = np.flatnonzero((order >= 0) & (used_at <= period.end))
    expired = np.flatnonzero((order < 0) & (expired_at <= period.end))
    row_grant = np.concatenate([np.arange(n), used, expired])
    row_status = np.concatenate([np.full(n, UNUSED), np.full(len(used), USED), np.full(len(expired), EXPIRED)])
    row_updated = np.concatenate([granted, used_at[used], expired_at[expired]])
    rows = np.argsort(row_updated, kind="stable")
    return Grants(person=person, granted=granted, expires=expires, face=face, order=order,
                  salt=int(rng.integers(0, 10**10)), row_grant=row_grant[rows],
                  row_status=row_status[rows].astype(np.int8), row_updated=row_updated[rows])


def write_coupon_grants(zone: Zone, period: Period, pop: Population, orders: Orders, claims: Claims,
                        rate: float) -> None:
    grants = _grants(period, pop, orders, claims)
    faces = np.array(catalog.COUPON_FACES)
    minimum = np.array(catalog.COUPON_MIN_SPEND)
    names = text.strings(f"满{m}减{f}" if m else f"{f}元无门槛券" for f, m in zip(faces, minimum))
    status_text = text.strings(GRANT_STATUSES)

    def render(lo: int, hi: int) -> dict[str, list]:
        g = grants.row_grant[lo:hi]
        status = grants.row_status[lo:hi]
        face = grants.face[g]
        return {
            "grant_id": ["CG", text.compact_dates(grants.granted[g] // DAY),
                         text.digits(text.scrambled(g, 10**10, grants.salt), 10)],
            "openid": pop.openid.take(pa.array(grants.person[g])),
            "coupon_id": coupon_ids(grants.granted[g] // DAY, faces[face]),
            "coupon_name": text.take(names, face),
            "face_value": text.money(faces[face] * 100),
            "min_spend": text.money(minimum[face] * 100),
            "granted_at": text.timestamp_pieces(grants.granted[g]),
            "expires_at": text.timestamp_pieces(grants.expires[g]),
            "status": text.take(status_text, status),
            "used_order_id": text.choose(status == USED, text.join(*orders.id_pieces(np.maximum(grants.order[g], 0))),
                                         ""),
            "updated_at": text.timestamp_pieces(grants.row_updated[lo:hi]),
        }

    faults = bad_rows.Faults(period.rng("bad.coupon_grants"), rate, [
        bad_rows.missing("grant_id"), bad_rows.negative("face_value"),
        bad_rows.unknown("status", ("claimed", "unknown")), bad_rows.timestamp("expires_at"),
    ])
    write_increment(zone, SOURCE, "coupon_grants.csv", csv_header(GRANTS), grants.row_updated // DAY, render,
                    csv_lines, faults)


def write(zone: Zone, period: Period, pop: Population, rate: float) -> None:
    write_users(zone, period, pop, rate)
    orders = build_orders(period, pop)
    write_orders(zone, period, pop, orders, rate)
    write_items(zone, period, orders, rate)
    claims = write_events(zone, period, pop, orders, rate)
    write_coupon_grants(zone, period, pop, orders, claims, rate)
