"""The synthetic landing zone: layout, formats, determinism and the data the rules need."""

import csv
import hashlib
import io
import json
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from tools.generate import DEFAULT_END, GenerateSummary, generate

CUSTOMERS, DAYS, SEED = 300, 30, 11
END = date(2026, 6, 30)
FIRST = END - timedelta(days=DAYS - 1)
SNAPSHOT_DATES = [FIRST + timedelta(days=d) for d in (0, 7, 14, 21, 28, 29)]

CSV_COLUMNS = {
    "miniprogram/users.csv": ["openid", "unionid", "mobile", "nickname", "registered_at"],
    "miniprogram/orders.csv": ["order_id", "openid", "order_status", "total_amount", "discount_amount",
                               "paid_amount", "coupon_id", "created_at", "paid_at", "updated_at"],
    "miniprogram/order_items.csv": ["order_id", "line_no", "sku_id", "product_name", "category", "quantity",
                                    "unit_price"],
    "miniprogram/coupon_grants.csv": ["grant_id", "openid", "coupon_id", "coupon_name", "face_value", "min_spend",
                                      "granted_at", "expires_at", "status", "used_order_id", "updated_at"],
    "wecom/interactions.csv": ["interaction_id", "external_userid", "userid", "channel", "direction",
                               "occurred_at"],
    "member/members.csv": ["member_id", "mobile", "unionid", "name", "gender", "birthday", "registered_at",
                           "register_store_id", "tier_code", "points_balance", "status"],
    "member/offline_orders.csv": ["order_id", "member_id", "store_id", "order_status", "paid_amount", "paid_at",
                                  "updated_at"],
    "member/points_ledger.csv": ["entry_id", "member_id", "points_delta", "reason", "occurred_at", "expires_at"],
}
JSONL = ["miniprogram/events.jsonl", "wecom/external_contacts.jsonl", "wecom/contact_events.jsonl"]
SNAPSHOTS = ["miniprogram/users.csv", "wecom/external_contacts.jsonl", "member/members.csv"]
ENTITIES = sorted(list(CSV_COLUMNS) + JSONL)
INCREMENTS = [e for e in ENTITIES if e not in SNAPSHOTS]

EVENT_KEYS = ["event_id", "openid", "event_name", "event_at", "properties"]
CALLBACK_KEYS = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Event", "ChangeType", "UserID",
                 "ExternalUserID", "State", "WelcomeCode"]
FOLLOW_KEYS = ["userid", "remark", "description", "createtime", "remark_mobiles", "add_way", "oper_userid",
               "state", "tags"]

STATUSES = {
    ("miniprogram/orders.csv", "order_status"): {"created", "paid", "shipped", "completed", "cancelled", "refunded"},
    ("miniprogram/coupon_grants.csv", "status"): {"unused", "used", "expired"},
    ("member/members.csv", "status"): {"active", "frozen", "cancelled"},
    ("member/offline_orders.csv", "order_status"): {"paid", "refunded"},
    ("member/points_ledger.csv", "reason"): {"purchase", "checkin", "redeem", "expire", "adjust"},
    ("wecom/interactions.csv", "channel"): {"private_chat", "group_chat", "moments"},
    ("wecom/interactions.csv", "direction"): {"inbound", "outbound"},
}
KEYS = {
    "miniprogram/users.csv": "openid", "miniprogram/orders.csv": "order_id", "miniprogram/order_items.csv": "order_id",
    "miniprogram/coupon_grants.csv": "grant_id",
    "wecom/interactions.csv": "interaction_id", "member/members.csv": "member_id",
    "member/offline_orders.csv": "order_id", "member/points_ledger.csv": "entry_id",
}
TIMESTAMPS = {"registered_at", "created_at", "paid_at", "updated_at", "occurred_at", "expires_at", "granted_at"}
AMOUNTS = {"total_amount", "discount_amount", "paid_amount", "unit_price", "face_value", "min_spend"}
# The playbook's rules (docs/playbook.md) on a zone ending on the demo's last day.
PLAYBOOK_END = DEFAULT_END
CYCLES = {"奶粉": 30, "纸尿裤": 20, "护肤": 60}
COUPONS = {5: 0, 10: 69, 20: 129, 30: 199, 50: 299, 100: 599}
QUALIFYING = {"paid", "shipped", "completed"}


def make(root: Path, **overrides) -> GenerateSummary:
    args = dict(customers=CUSTOMERS, days=DAYS, seed=SEED, end=END)
    return generate(root, **(args | overrides))


@pytest.fixture(scope="module")
def zone(tmp_path_factory) -> tuple[Path, GenerateSummary]:
    root = tmp_path_factory.mktemp("zone") / "landing"
    return root, make(root)


@pytest.fixture(scope="module")
def noisy(tmp_path_factory) -> tuple[Path, GenerateSummary]:
    root = tmp_path_factory.mktemp("noisy") / "landing"
    return root, make(root, customers=600, days=60, bad_row_rate=0.02)


@pytest.fixture(scope="module")
def playbook(tmp_path_factory) -> tuple[Path, GenerateSummary]:
    root = tmp_path_factory.mktemp("playbook") / "landing"
    return root, make(root, customers=2000, days=150, end=PLAYBOOK_END, bad_row_rate=0.0)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, GenerateSummary]:
    root = tmp_path_factory.mktemp("clean") / "landing"
    return root, make(root, customers=600, days=60, bad_row_rate=0.0)


def files(root: Path, entity: str) -> list[Path]:
    source, name = entity.split("/")
    return sorted((root / source).glob(f"*/{name}"))


def decode(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(decode(path), newline="")))


def rows(root: Path, entity: str) -> list[tuple[str, dict[str, str]]]:
    """(folder date, row) for every data row of a CSV entity."""
    return [(p.parent.name, r) for p in files(root, entity) for r in read_csv(p)]


def json_lines(path: Path) -> tuple[list[dict], int]:
    """Parsed objects of a JSON Lines file, and how many lines did not parse."""
    parsed, broken = [], 0
    for line in path.read_text("utf-8").splitlines():
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            broken += 1
    return parsed, broken


def normalise(mobile: str) -> str | None:
    digits = re.sub(r"\D", "", mobile)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            digits = digits[len(prefix):]
    return digits if re.fullmatch(r"1[3-9]\d{9}", digits) and digits != "13800138000" else None


def parses(value: str, fmt: str = "%Y-%m-%d %H:%M:%S") -> bool:
    try:
        datetime.strptime(value, fmt)
        return True
    except ValueError:
        return False


def csv_violations(entity: str, row: dict[str, str]) -> list[str]:
    """The contract rules a CSV row breaks."""
    broken = []
    if entity in KEYS and not row[KEYS[entity]]:
        broken.append("missing_key")
    for column, value in row.items():
        if column in TIMESTAMPS and value and not parses(value):
            broken.append(f"bad_timestamp:{column}")
        if column == "birthday" and value and not parses(value, "%Y-%m-%d"):
            broken.append("bad_date:birthday")
        if column in AMOUNTS and value.startswith("-"):
            broken.append(f"negative_amount:{column}")
        if (entity, column) in STATUSES and value not in STATUSES[(entity, column)]:
            broken.append(f"unknown_value:{column}")
    return broken


def jsonl_violations(entity: str, obj: dict) -> list[str]:
    if entity == "miniprogram/events.jsonl":
        return (["missing_key"] if "event_id" not in obj else []) + \
            ([] if parses(obj["event_at"]) else ["bad_timestamp"])
    if entity == "wecom/contact_events.jsonl":
        return (["missing_key"] if not obj["ExternalUserID"] else []) + \
            ([] if isinstance(obj["CreateTime"], int) else ["bad_timestamp"])
    return ["missing_key"] if not obj["external_contact"]["external_userid"] else []


def violations(root: Path) -> dict[str, int]:
    """Rows breaking a rule (truncated JSON lines included) per entity."""
    found = {}
    for entity in ENTITIES:
        count = 0
        for path in files(root, entity):
            if entity.endswith(".csv"):
                count += sum(1 for r in read_csv(path) if csv_violations(entity, r))
            else:
                parsed, broken = json_lines(path)
                count += broken + sum(1 for o in parsed if jsonl_violations(entity, o))
        found[entity] = count
    return found


def test_layout_dates_and_headers(zone):
    root, summary = zone
    assert sorted(p.name for p in root.iterdir()) == ["member", "miniprogram", "wecom"]
    for source in ("miniprogram", "wecom", "member"):
        own = {e.split("/")[1] for e in ENTITIES if e.startswith(source + "/")}
        for folder in (root / source).iterdir():
            assert FIRST <= date.fromisoformat(folder.name) <= END
            assert {p.name for p in folder.iterdir()} <= own, folder
    for entity, columns in CSV_COLUMNS.items():
        paths = files(root, entity)
        assert paths, entity
        for path in paths:
            header = decode(path).split("\n", 1)[0]
            assert header == ",".join(columns), path
            assert b"\r" not in path.read_bytes()
    assert (summary.first_date, summary.last_date) == (FIRST, END)
    assert DEFAULT_END == date(2026, 10, 31)


def test_snapshots_on_schedule_and_increments_only_when_rows(zone):
    root, _ = zone
    for entity in SNAPSHOTS:
        assert [date.fromisoformat(p.parent.name) for p in files(root, entity)] == SNAPSHOT_DATES
    for entity in INCREMENTS:
        paths = files(root, entity)
        assert len(paths) >= DAYS // 2, entity
        for path in paths:
            data = decode(path).strip("\n").split("\n")
            assert len(data) >= (2 if entity.endswith(".csv") else 1), path


def test_snapshots_grow_and_hold_current_state(zone):
    root, _ = zone
    users = [len(read_csv(p)) for p in files(root, "miniprogram/users.csv")]
    members = [len(read_csv(p)) for p in files(root, "member/members.csv")]
    assert users == sorted(users) and users[-1] > users[0] > 0
    assert members[-1] > members[0] > 0
    last = read_csv(files(root, "miniprogram/users.csv")[-1])
    assert all(r["registered_at"] <= f"{END} 23:59:59" for r in last if parses(r["registered_at"]))
    assert any(r["registered_at"] < str(FIRST) for r in last)


def test_encodings(zone):
    root, _ = zone
    members = files(root, "member/members.csv")
    for k, path in enumerate(members):
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        if k % 3 == 0:
            raw.decode("gb18030")
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
        else:
            raw.decode("utf-8")
    users = files(root, "miniprogram/users.csv")
    assert [p.read_bytes().startswith(b"\xef\xbb\xbf") for p in users] == [k % 2 == 0 for k in range(len(users))]
    for entity in ENTITIES:
        if entity in ("member/members.csv", "miniprogram/users.csv"):
            continue
        for path in files(root, entity):
            raw = path.read_bytes()
            assert not raw.startswith(b"\xef\xbb\xbf")
            raw.decode("utf-8")


def test_json_lines_shapes(zone):
    root, _ = zone
    truncated = 0
    for entity in JSONL:
        for path in files(root, entity):
            parsed, broken = json_lines(path)
            assert broken <= (1 if entity == "miniprogram/events.jsonl" else 0), path
            truncated += broken
            for obj in parsed:
                if entity == "miniprogram/events.jsonl":
                    assert [k for k in EVENT_KEYS if k in obj] == [k for k in obj]
                    assert isinstance(obj["properties"], dict) and obj["openid"].startswith("o")
                elif entity == "wecom/contact_events.jsonl":
                    assert list(obj) == CALLBACK_KEYS
                    assert obj["MsgType"] == "event" and obj["Event"] == "change_external_contact"
                else:
                    contact = obj["external_contact"]
                    assert list(obj) == ["external_contact", "follow_user"]
                    assert contact["type"] in (1, 2) and contact["gender"] in (0, 1, 2)
                    assert contact["type"] == 1 or "unionid" not in contact
                    assert obj["follow_user"]
                    for follow in obj["follow_user"]:
                        assert list(follow) == FOLLOW_KEYS
                        assert isinstance(follow["createtime"], int) and isinstance(follow["remark_mobiles"], list)
                        for tag in follow["tags"]:
                            assert list(tag) == ["group_name", "tag_name", "type", "tag_id"]
    events = [o for p in files(root, "miniprogram/events.jsonl") for o in json_lines(p)[0]]
    names = {o["event_name"] for o in events}
    assert {"page_view", "product_view", "add_to_cart", "share", "checkin"} <= names
    assert any("share_to" in o["properties"] for o in events)
    assert truncated <= len(files(root, "miniprogram/events.jsonl"))


def test_ids_and_formats(zone):
    root, _ = zone
    users = read_csv(files(root, "miniprogram/users.csv")[-1])
    good = [u for u in users if u["openid"]]
    assert all(re.fullmatch(r"o[A-Za-z0-9_-]{27}", u["openid"]) for u in good)
    with_union = [u["unionid"] for u in good if u["unionid"]]
    assert all(re.fullmatch(r"oU[A-Za-z0-9_-]{26}", u) for u in with_union)
    assert 0.55 < len(with_union) / len(good) < 0.85
    assert 0.35 < sum(1 for u in good if u["mobile"]) / len(good) < 0.65
    members = read_csv(files(root, "member/members.csv")[-1])
    assert all(re.fullmatch(r"M\d{10}", m["member_id"]) for m in members if m["member_id"])
    assert all(re.fullmatch(r"S\d{3}", m["register_store_id"]) for m in members)
    assert all(2 <= len(m["name"]) <= 3 for m in members)
    mobiles = [m["mobile"] for m in members if m["mobile"]]
    assert any(" " in m for m in mobiles) and any(m.startswith("+86-") for m in mobiles)
    assert any(normalise(m) is None for m in mobiles)
    assert {m["tier_code"] for m in members} <= {"NORMAL", "SILVER", "GOLD", "PLATINUM"}
    contacts = [o for o in json_lines(files(root, "wecom/external_contacts.jsonl")[-1])[0]]
    assert all(re.fullmatch(r"wm[A-Za-z0-9_-]{30}", c["external_contact"]["external_userid"])
               for c in contacts if c["external_contact"]["external_userid"])


def test_identities_overlap_across_systems(zone):
    root, _ = zone
    users = read_csv(files(root, "miniprogram/users.csv")[-1])
    members = read_csv(files(root, "member/members.csv")[-1])
    contacts = json_lines(files(root, "wecom/external_contacts.jsonl")[-1])[0]
    user_unionids = {u["unionid"] for u in users if u["unionid"]}
    contact_unionids = {c["external_contact"].get("unionid") for c in contacts} - {None}
    member_unionids = {m["unionid"] for m in members if m["unionid"]}
    assert user_unionids & contact_unionids
    assert member_unionids & (user_unionids | contact_unionids)
    user_mobiles = {normalise(u["mobile"]) for u in users} - {None}
    member_mobiles = [normalise(m["mobile"]) for m in members]
    assert user_mobiles & set(member_mobiles)
    remark_mobiles = {normalise(m) for c in contacts for f in c["follow_user"] for m in f["remark_mobiles"]} - {None}
    assert remark_mobiles & set(member_mobiles)
    counts = defaultdict(int)
    for m in member_mobiles:
        if m:
            counts[m] += 1
    assert sum(1 for c in counts.values() if c >= 5) >= 2, "shared store phones"
    assert any(c == 2 for c in counts.values()), "re-registered members"
    assert any(len(c["follow_user"]) > 1 for c in contacts)


def test_orders_add_up(zone):
    root, _ = zone
    orders = [r for _, r in rows(root, "miniprogram/orders.csv") if not csv_violations("miniprogram/orders.csv", r)]
    assert orders
    for r in orders:
        total, discount, paid = (round(float(r[c]) * 100) for c in ("total_amount", "discount_amount", "paid_amount"))
        assert total - discount == paid
        assert bool(r["coupon_id"]) == (discount > 0)
        assert (r["paid_at"] == "") == (r["order_status"] in ("created", "cancelled"))
        assert r["created_at"] <= r["updated_at"]
    lines = defaultdict(int)
    for _, item in rows(root, "miniprogram/order_items.csv"):
        if not csv_violations("miniprogram/order_items.csv", item):
            lines[item["order_id"]] += int(item["quantity"]) * round(float(item["unit_price"]) * 100)
    for r in orders:
        assert lines[r["order_id"]] == round(float(r["total_amount"]) * 100)
    per_order = defaultdict(int)
    for r in orders:
        per_order[r["order_id"]] += 1
    assert 1.2 < len(orders) / len(per_order) < 1.7


def test_refund_lands_in_a_later_folder(zone):
    root, _ = zone
    paid_day, refund_day = {}, {}
    for day, r in rows(root, "miniprogram/orders.csv"):
        if r["order_status"] == "paid":
            paid_day.setdefault(r["order_id"], day)
        elif r["order_status"] == "refunded":
            refund_day[r["order_id"]] = day
    later = [o for o, d in refund_day.items() if o in paid_day and d > paid_day[o]]
    assert later
    offline = defaultdict(dict)
    for day, r in rows(root, "member/offline_orders.csv"):
        offline[r["order_id"]][r["order_status"]] = day
    assert any("refunded" in s and "paid" in s and s["refunded"] > s["paid"] for s in offline.values())


def test_wecom_relationship_changes(noisy):
    root, _ = noisy
    events = [o for p in files(root, "wecom/contact_events.jsonl") for o in json_lines(p)[0]]
    kinds = defaultdict(list)
    for e in events:
        kinds[e["ChangeType"]].append(e)
    assert {"add_external_contact", "del_follow_user", "del_external_contact", "edit_external_contact"} <= set(kinds)
    snapshots = files(root, "wecom/external_contacts.jsonl")

    def pairs(path: Path) -> set[tuple[str, str]]:
        return {(f["userid"], c["external_contact"]["external_userid"])
                for c in json_lines(path)[0] for f in c["follow_user"]}

    last = pairs(snapshots[-1])
    removed = {(e["UserID"], e["ExternalUserID"]) for e in kinds["del_external_contact"]}
    blocked = {(e["UserID"], e["ExternalUserID"]) for e in kinds["del_follow_user"]}
    assert removed and not removed & last
    assert blocked & last
    added = {(e["UserID"], e["ExternalUserID"]) for e in kinds["add_external_contact"]}
    assert added & last


def test_events_and_ledger_realism(noisy):
    root, _ = noisy
    ledger = [r for _, r in rows(root, "member/points_ledger.csv")
              if not csv_violations("member/points_ledger.csv", r)]
    reasons = {r["reason"] for r in ledger}
    assert {"purchase", "checkin", "redeem", "expire", "adjust"} <= reasons
    assert all(int(r["points_delta"]) < 0 for r in ledger if r["reason"] in ("redeem", "expire"))
    assert any(r["expires_at"] == "" for r in ledger) and any(r["expires_at"] for r in ledger)
    interactions = [r for _, r in rows(root, "wecom/interactions.csv")]
    assert {"inbound", "outbound"} <= {r["direction"] for r in interactions}
    assert {"private_chat", "group_chat", "moments"} <= {r["channel"] for r in interactions}


def latest(versions: list[tuple[str, dict[str, str]]], key: str) -> dict[str, dict[str, str]]:
    """The latest version of each key of an increment: latest `updated_at`, then folder."""
    out: dict[str, tuple[tuple[str, str], dict[str, str]]] = {}
    for day, row in versions:
        rank = (row["updated_at"], day)
        if row[key] not in out or rank >= out[row[key]][0]:
            out[row[key]] = (rank, row)
    return {k: row for k, (_, row) in out.items()}


def stamp(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")


def test_coupon_grants_are_granted_then_used_or_expired(playbook):
    root, _ = playbook
    versions = rows(root, "miniprogram/coupon_grants.csv")
    by_grant = defaultdict(list)
    for day, row in versions:
        assert day == row["updated_at"][:10]  # a version lands in the folder of its day
        by_grant[row["grant_id"]].append(row)
    orders = latest(rows(root, "miniprogram/orders.csv"), "order_id")
    for grant, history in by_grant.items():
        history.sort(key=lambda r: r["updated_at"])
        first, last = history[0], history[-1]
        assert len(history) <= 2 and first["status"] == "unused" and first["updated_at"] == first["granted_at"]
        assert all({k: v for k, v in r.items() if k not in ("status", "used_order_id", "updated_at")}
                   == {k: v for k, v in first.items() if k not in ("status", "used_order_id", "updated_at")}
                   for r in history)
        granted, expires = stamp(first["granted_at"]), stamp(first["expires_at"])
        assert timedelta(days=7) <= expires - granted <= timedelta(days=30), grant
        face, minimum = round(float(first["face_value"])), round(float(first["min_spend"]))
        assert COUPONS[face] == minimum
        assert first["coupon_id"] == f"CP{first['granted_at'][:7].replace('-', '')}F{face:03d}"
        assert (last["used_order_id"] != "") == (last["status"] == "used")
        if last["status"] == "used":
            order = orders[last["used_order_id"]]
            assert (order["openid"], order["coupon_id"]) == (first["openid"], first["coupon_id"])
            assert float(order["total_amount"]) >= minimum
            assert granted <= stamp(last["updated_at"]) <= expires
        elif last["status"] == "expired":
            assert stamp(last["updated_at"]).date() == expires.date() + timedelta(days=1)
    states = latest(versions, "grant_id").values()
    assert {r["status"] for r in states} == {"unused", "used", "expired"}
    unused = [stamp(r["expires_at"]).date() for r in states if r["status"] == "unused"]
    assert all(d >= PLAYBOOK_END for d in unused)
    soon = sum(1 for d in unused if d <= PLAYBOOK_END + timedelta(days=6))
    assert 0 < soon < len(unused)  # some expire within 7 days of the last day, some later
    used_coupons = {r["coupon_id"] for r in orders.values() if r["coupon_id"] and r["order_status"] != "cancelled"}
    assert used_coupons <= {r["coupon_id"] for r in states if r["status"] == "used"}


def purchase_dates(root: Path) -> dict[tuple[str, str], list[date]]:
    """Playbook §10: the distinct local dates each openid bought each (trimmed) category on."""
    orders = latest(rows(root, "miniprogram/orders.csv"), "order_id")
    dates = defaultdict(set)
    for _, item in rows(root, "miniprogram/order_items.csv"):
        order = orders.get(item["order_id"])  # none for an order paid just after the last day
        if order and order["order_status"] in QUALIFYING and item["category"].strip():
            dates[(order["openid"], item["category"].strip())].add(date.fromisoformat(order["created_at"][:10]))
    return {key: sorted(days) for key, days in dates.items()}


def test_replenishable_categories_repeat_at_their_cycle(playbook):
    root, _ = playbook
    items = [r for _, r in rows(root, "miniprogram/order_items.csv")]
    odd = [r["category"] for r in items if r["category"] != r["category"].strip() or not r["category"]]
    assert odd and len(odd) < 0.02 * len(items)  # a few padded or empty, rarely
    bought = purchase_dates(root)
    gaps = defaultdict(list)
    for (_, category), days in bought.items():
        gaps[category] += [(b - a).days for a, b in zip(days, days[1:])]
    for category, cycle in CYCLES.items():
        found = sorted(gaps[category])
        assert len(found) >= 10, category
        median = found[len(found) // 2]
        assert 0.8 * cycle <= median <= 1.15 * cycle, (category, median)
        regulars = [days for (_, c), days in bought.items() if c == category and len(days) >= 3]
        assert len(regulars) >= 5, category
        status = defaultdict(int)
        for (_, c), days in bought.items():
            if c == category:
                due = (days[-1] + timedelta(days=cycle) - PLAYBOOK_END).days
                status["stocked" if due > 7 else "due_soon" if due >= 0 else "run_out"] += 1
        assert min(status[s] for s in ("stocked", "due_soon", "run_out")) > 0, (category, dict(status))
    assert len(gaps["玩具"]) < 10  # bought once: no cycle


def test_the_ledger_earns_redeems_and_expires_and_mostly_matches_the_balance(playbook):
    root, _ = playbook
    ledger = [r for _, r in rows(root, "member/points_ledger.csv")]
    by_reason = defaultdict(list)
    for r in ledger:
        by_reason[r["reason"]].append(r)
    assert all(int(r["points_delta"]) > 0 for reason in ("purchase", "checkin") for r in by_reason[reason])
    assert by_reason["redeem"] and all(int(r["points_delta"]) < 0 for r in by_reason["redeem"])
    assert by_reason["expire"] and all(int(r["points_delta"]) < 0 for r in by_reason["expire"])
    earned = by_reason["purchase"] + by_reason["checkin"]
    assert sum(1 for r in earned if r["expires_at"]) > len(earned) / 2
    window = (PLAYBOOK_END + timedelta(days=1), PLAYBOOK_END + timedelta(days=30))
    expiring = defaultdict(int)
    for r in earned:
        if r["expires_at"] and window[0] <= stamp(r["expires_at"]).date() <= window[1]:
            expiring[r["member_id"]] += int(r["points_delta"])
    assert sum(1 for points in expiring.values() if points >= 100) >= 5
    total = defaultdict(int)
    for r in ledger:
        total[r["member_id"]] += int(r["points_delta"])
    members = read_csv(files(root, "member/members.csv")[-1])
    mismatched = sum(1 for m in members if int(m["points_balance"]) != total[m["member_id"]])
    assert 0 < mismatched < 0.05 * len(members)


def test_bad_rows_at_about_the_rate(noisy):
    root, summary = noisy
    found = violations(root)
    increments = sum(summary.rows[e.split(".")[0]] for e in INCREMENTS)
    bad = sum(found[e] for e in INCREMENTS)
    assert 0.5 * 0.02 * increments < bad < 1.6 * 0.02 * increments
    for entity in INCREMENTS:
        assert found[entity] > 0, entity
    for entity in SNAPSHOTS:
        assert 0 < found[entity] <= summary.rows[entity.split(".")[0]] * 0.01, entity
    assert found == {e: summary.bad_rows[e.split(".")[0]] for e in ENTITIES}
    truncated = sum(json_lines(p)[1] for p in files(root, "miniprogram/events.jsonl"))
    assert 1 <= truncated <= 6


def test_no_bad_rows_at_rate_zero(clean):
    root, summary = clean
    assert violations(root) == {e: 0 for e in ENTITIES}
    assert sum(summary.bad_rows.values()) == 0


def test_bad_rows_are_extra_copies_and_leave_good_rows_alone(noisy, clean):
    def good(root: Path, entity: str) -> list[str]:
        return sorted(str((d, r)) for d, r in rows(root, entity) if not csv_violations(entity, r))

    for entity in INCREMENTS:
        if entity.endswith(".csv"):
            assert good(noisy[0], entity) == good(clean[0], entity), entity


def test_summary_counts_match_files(zone):
    root, summary = zone
    total_files = total_bytes = 0
    for entity in ENTITIES:
        count = 0
        for path in files(root, entity):
            text = decode(path)
            count += text.count("\n") - (1 if entity.endswith(".csv") else 0)
            total_files += 1
            total_bytes += path.stat().st_size
        assert count == summary.rows[entity.split(".")[0]], entity
    assert (summary.files, summary.bytes) == (total_files, total_bytes)
    lines = summary.lines()
    assert len(lines) >= 11 and any("miniprogram/orders" in line for line in lines)
    with pytest.raises(AttributeError):
        summary.files = 0


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_deterministic(zone, tmp_path):
    root, _ = zone
    again = tmp_path / "again"
    make(again)
    assert digest(again) == digest(root)
    other = tmp_path / "other"
    make(other, seed=SEED + 1)
    theirs, ours = digest(other), digest(root)
    assert all(theirs.get(k) != v for k, v in ours.items() if "2026" in k)


def test_refuses_a_non_empty_folder_unless_overwrite(tmp_path):
    out = tmp_path / "landing"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        generate(out, customers=50, days=3, seed=1)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    messages = []
    summary = generate(out, customers=50, days=3, seed=1, overwrite=True, progress=messages.append)
    assert (out / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt", "member", "miniprogram", "wecom"]
    assert any("members" in m for m in messages)
    stale = out / "member" / "1999-01-01"
    stale.mkdir()
    generate(out, customers=50, days=3, seed=1, overwrite=True)
    assert not stale.exists()
    assert summary.files == sum(1 for p in out.rglob("*.*") if p.name != "keep.txt")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
