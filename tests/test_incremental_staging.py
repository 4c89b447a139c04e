"""The incremental tables (macros/increments/extract_increment.sql, docs/incremental.md) on
generated extracts, with the real dbt build on DuckDB: a night that only adds the new folders
leaves the same rows as a full build of that date, and the table rebuilds itself in full for
an earlier date and after a reload. One warehouse runs the nights; a copy of it is rebuilt
with `--full-refresh` for the same dates and must hold the same rows."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from dbt_in_process import dbt

from tools.generate import generate
from ingestion import warehouse
from ingestion.loader import ingest

END = date(2026, 10, 31)
DAYS = [END - timedelta(days=n) for n in (5, 4, 3, 2, 1, 0)]
MODELS = [
    "stg_miniprogram__user_versions",
    "stg_miniprogram__events",
    "stg_miniprogram__orders",
    "stg_miniprogram__order_items",
    "stg_miniprogram__coupon_grants",
    "stg_wecom__external_contact_versions",
    "stg_wecom__follow_user_versions",
    "stg_wecom__interactions",
    "stg_member__member_versions",
    "stg_member__offline_orders",
    "stg_member__points_entries",
    "int_identity__identifier_occurrences",
    "int_customers__orders",
]
# The identity graph after the occurrences: a night redoes what the occurrences it recorded
# touch (macros/increments/identity_increment.sql, cdp/identity/night.py). The id history is built too,
# so the nights hold, keep and merge ids as the nightly job does.
GRAPH = [
    "int_identity__edges",
    "int_identity__shared_identifiers",
    "int_identity__identifiers",
    "int_identity__customer_identifiers",
    "int_identity__customer_id_history",
]
LATE = '{"event_id":"ev-late","openid":"o-late","event_name":"share","event_at":"%s 10:00:00","properties":{}}\n'
LATE_CONTACT = (
    '{"external_contact":{"external_userid":"wm-late","name":"Late","type":1,"gender":0,'
    '"unionid":"un-late"},"follow_user":[{"userid":"staff-late","remark":"","description":"",'
    '"createtime":%d,"remark_mobiles":["13912345678"],"add_way":1,"oper_userid":"staff-late",'
    '"state":"","tags":[]}]}\n'
)


def dbt_run(warehouse_dir: Path, as_of: date, *extra: str) -> dict[str, str]:
    """`dbt run` of the incremental staging models as of a date; each model's SQL."""
    target = warehouse_dir / "target"
    dbt("run", "--select", "+int_customers__orders", *MODELS, *GRAPH, *extra,
        warehouse_dir=warehouse_dir, target=target, environment={"CDP_AS_OF": as_of.isoformat()})
    return {
        m: next(target.glob(f"compiled/**/{m}.sql")).read_text(encoding="utf-8")
        for m in MODELS + GRAPH[:3]
    }


def tables(warehouse_dir: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse.build_database(warehouse_dir)), read_only=True) as conn:
        schemas = dict(conn.execute("select table_name, schema_name from duckdb_tables()").fetchall())
        return {  # which night recorded an occurrence is no part of what a full build holds
            m: conn.execute(
                f"select * exclude (recorded_as_of) from {schemas[m]}.{m} order by all"
                if m == "int_identity__identifier_occurrences"
                else f"select * from {schemas[m]}.{m} order by all"
            ).fetchall()
            for m in MODELS + GRAPH
        }


def state(warehouse_dir: Path, model: str) -> dict:
    """How the model's table was last built: its latest row in the log of incremental builds."""
    with duckdb.connect(str(warehouse.build_database(warehouse_dir)), read_only=True) as conn:
        cursor = conn.execute(
            "select * exclude (model, recorded_at) from main._increments where model = ?"
            " order by recorded_at desc limit 1",
            [model],
        )
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone()))


def leftover_tables(warehouse_dir: Path) -> list[str]:
    """Tables dbt meant to be temporary that are still in the build database."""
    with duckdb.connect(str(warehouse.build_database(warehouse_dir)), read_only=True) as conn:
        return [
            name for (name,) in conn.execute(
                "select table_name from duckdb_tables() where table_name like '%dbt_tmp%'"
            ).fetchall()
        ]


def load(warehouse_dir: Path, landing: Path, reload: list[date] = ()) -> None:
    with warehouse.connect(warehouse.build_database(warehouse_dir)) as conn:
        ingest(conn, landing, reload=reload)


def change_the_graph(landing: Path) -> dict[str, str]:
    """Members in a snapshot of the later night that merge two customers (a new member with
    one member's mobile and another's unionid) and share a third member's mobile (four more
    members with it): the night's stitching redoes those customers alone."""
    first = landing / "member" / DAYS[0].isoformat() / "members.csv"
    members = [
        line.split(",") for line in first.read_text(encoding="gb18030").splitlines()[1:]
    ]
    with_both = [m for m in members if re.fullmatch("1[3-9][0-9]{9}", m[1]) and m[2]]
    merged_mobile, merged_unionid, shared_mobile = (
        with_both[0][1], with_both[1][2], with_both[2][1]
    )
    later = next(
        p for d in DAYS[3:5] if (p := landing / "member" / d.isoformat() / "members.csv").exists()
    )
    rows = [(merged_mobile, merged_unionid)] + [(shared_mobile, "")] * 4
    with later.open("a", encoding="gb18030") as out:
        for n, (mobile, unionid) in enumerate(rows):
            out.write(
                f"M90000000{n:02d},{mobile},{unionid},Graph,F,,2026-01-01 10:00:00,S001,"
                "NORMAL,0,active\n"
            )
    return {
        "merged mobile": f"mobile:{merged_mobile}",
        "merged unionid": f"unionid:{merged_unionid}",
        "shared mobile": f"mobile:{shared_mobile}",
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("incremental")
    landing = root / "landing"
    generate(landing, customers=150, days=len(DAYS), seed=5, end=END, snapshot_every=2)
    with (landing / "miniprogram" / DAYS[0].isoformat() / "events.jsonl").open("a") as events:
        events.write(LATE % DAYS[3])  # arrives on the first day, dated the fourth
    # A relationship in the first night's contact snapshot, created on the fourth day.
    first_contacts = landing / "wecom" / DAYS[0].isoformat() / "external_contacts.jsonl"
    created = datetime.combine(DAYS[3], time(10), ZoneInfo("Asia/Shanghai"))
    with first_contacts.open("a") as contacts:
        contacts.write(LATE_CONTACT % created.timestamp())
    # The late event's customer in a user snapshot of the second night: the later night sees
    # it first on an earlier date (the event's first folder) than recorded.
    users = next(p for d in DAYS[1:3] if (p := landing / "miniprogram" / d.isoformat() / "users.csv").exists())
    with users.open("a", encoding="utf-8") as rows:
        rows.write("o-late,,,Late,2026-01-01 10:00:00\n")
    out: dict[str, object] = {"late user date": date.fromisoformat(users.parent.name)}
    out["graph change"] = change_the_graph(landing)
    nights, full = root / "nights", root / "full"
    load(nights, landing)
    out["first sql"] = dbt_run(nights, DAYS[0])
    out["first"] = tables(nights)
    dbt_run(nights, DAYS[2])
    out["second"] = tables(nights)
    out["later sql"] = dbt_run(nights, DAYS[-1])
    out["later"] = tables(nights)
    out["later state"] = {m: state(nights, m) for m in MODELS + GRAPH[:4]}
    shutil.copytree(nights, full, ignore=shutil.ignore_patterns("target"))
    dbt_run(full, DAYS[-1], "--full-refresh")
    out["later full"] = tables(full)
    out["earlier sql"] = dbt_run(nights, DAYS[2])
    out["earlier"] = tables(nights)
    dbt_run(full, DAYS[2], "--full-refresh")
    out["earlier full"] = tables(full)
    # A member snapshot dated ≤ the table's date is corrected: one member fewer.
    day = next(d for d in DAYS[:3] if (landing / "member" / d.isoformat() / "members.csv").exists())
    gone = next(r for r in out["earlier"]["stg_member__member_versions"] if r[-2] == day)
    corrected = landing / "member" / day.isoformat() / "members.csv"
    lines = corrected.read_bytes().splitlines(keepends=True)  # GB18030: the member system's
    prefix = f"{gone[0]},".encode()
    corrected.write_bytes(b"".join(line for line in lines if not line.startswith(prefix)))
    out["reloaded"] = (day, gone[0])
    for path in (nights, full):
        load(path, landing, reload=[day])
    out["reload sql"] = dbt_run(nights, DAYS[-1])
    out["reload"] = tables(nights)
    dbt_run(full, DAYS[-1], "--full-refresh")
    out["reload full"] = tables(full)
    # One run's override, last: any change of --vars makes dbt parse the whole project again,
    # and again on the next run without it. The ordering openid's orders lose their customer.
    orders = (landing / "miniprogram" / DAYS[0].isoformat() / "orders.csv").read_text("utf-8")
    out["blocked buyer"] = buyer = orders.splitlines()[1].split(",")[1]
    blocklist = ("--vars", json.dumps({"identity_blocklist": ["o-late", buyer]}))
    out["blocklisted sql"] = dbt_run(nights, DAYS[-1], *blocklist)
    out["blocklisted"] = tables(nights)
    dbt_run(full, DAYS[-1], "--full-refresh", *blocklist)
    out["blocklisted full"] = tables(full)
    out["leftover tables"] = leftover_tables(nights) + leftover_tables(full)
    return out


def increments(sql: dict[str, str], since: date | None = None) -> set[str]:
    """The models whose SQL only read what came after `since` (after any date without it)."""
    after = f"> date '{since}'" if since else "> date '"
    return {
        m for m, text in sql.items()
        if f"extract_date {after}" in text or f"recorded_as_of {after}" in text
    }


def test_a_later_night_adds_only_the_new_folders_and_equals_a_full_build(runs):
    assert increments(runs["first sql"]) == set()
    # only what came since the second night, the graph only what the occurrences recorded
    assert increments(runs["later sql"], DAYS[2]) == set(MODELS + GRAPH[:3])
    assert runs["later"] == runs["later full"]
    for model, built in runs["later state"].items():  # the log's row: how it was built
        assert built["as_of"] == DAYS[-1], model
        assert built["files"] > 0, model  # the load log's files of every entity
    assert all(runs["later"][m] for m in MODELS + GRAPH)


def test_a_night_merges_and_splits_customers_as_a_full_build_does(runs):
    change = runs["graph change"]

    def customer(rows, key):
        return next(
            (r[0] for r in rows["int_identity__customer_identifiers"] if r[1] == key), None
        )

    def shared(rows):
        return {r[0] for r in rows["int_identity__shared_identifiers"]}

    before, after = runs["second"], runs["later"]
    merged = (change["merged mobile"], change["merged unionid"])
    assert customer(before, merged[0]) != customer(before, merged[1])
    assert customer(after, merged[0]) == customer(after, merged[1])
    assert change["shared mobile"] not in shared(before) and customer(before, change["shared mobile"])
    assert change["shared mobile"] in shared(after) and not customer(after, change["shared mobile"])
    closed = {r[1] for r in after["int_identity__customer_id_history"] if r[3] == DAYS[-1]}
    assert customer(before, merged[1]) in closed or customer(before, merged[0]) in closed
    # and the night left what a full build of the same date leaves (see the first test)
    for model in GRAPH:
        assert after[model] == runs["later full"][model], model


def test_no_night_leaves_a_working_table_behind(runs):
    # The stitching is a Python model: dbt-duckdb keeps the table of its new rows
    # (macros/increments/python_increment.sql drops it).
    assert runs["leftover tables"] == []


def test_a_row_dated_after_its_folder_counts_from_its_own_date(runs):
    def late(rows):
        return [r for r in rows["stg_miniprogram__events"] if r[0] == "ev-late"]

    assert late(runs["second"]) == []
    assert len(late(runs["later"])) == 1

    def late_relationships(rows):
        return [r for r in rows["stg_wecom__follow_user_versions"] if r[0] == "wm-late"]

    def late_mobile(rows):
        return [r for r in rows["int_identity__identifier_occurrences"] if r[3] == "13912345678"]

    assert late_relationships(runs["second"]) == late_mobile(runs["second"]) == []
    assert len(late_relationships(runs["later"])) == 1
    assert [r[-1] for r in late_mobile(runs["later"])] == [DAYS[0]]  # seen on the snapshot


def test_a_night_moves_a_first_seen_date_earlier(runs):
    def first_seen(rows):
        return [r[-1] for r in rows["int_identity__identifier_occurrences"] if r[1] == "openid:o-late"]

    assert first_seen(runs["second"]) == [runs["late user date"]]
    assert first_seen(runs["later"]) == [DAYS[0]]  # the late event's first folder


def test_a_changed_blocklist_rebuilds_the_occurrences_and_the_graph_in_full(runs):
    occurrences = "int_identity__identifier_occurrences"
    assert not increments(runs["blocklisted sql"]) & {occurrences, *GRAPH}
    for model in [occurrences, *GRAPH]:
        assert runs["blocklisted"][model] == runs["blocklisted full"][model], model
    assert {r[6] for r in runs["blocklisted"][occurrences] if r[3] == "o-late"} == {"blocklisted"}


def test_a_night_rewrites_the_orders_whose_customer_changed(runs):
    def customers(rows):
        return {r[3] for r in rows["int_customers__orders"] if r[4] == runs["blocked buyer"]}

    assert "extract_date > date" in runs["blocklisted sql"]["int_customers__orders"]  # still incremental
    assert runs["blocklisted"]["int_customers__orders"] == runs["blocklisted full"]["int_customers__orders"]
    assert customers(runs["later"]) != {None} and customers(runs["blocklisted"]) == {None}


def test_an_earlier_date_rebuilds_in_full(runs):
    assert increments(runs["earlier sql"]) == set()
    assert runs["earlier"] == runs["earlier full"]
    assert runs["earlier"] != runs["later"]


def test_a_reloaded_folder_rebuilds_that_entity_in_full(runs):
    day, member_id = runs["reloaded"]
    assert runs["reload"] == runs["reload full"]
    versions = runs["reload"]["stg_member__member_versions"]
    assert (member_id, day) not in {(r[0], r[-2]) for r in versions}
    assert "_extract_date > date" not in runs["reload sql"]["stg_member__member_versions"]
