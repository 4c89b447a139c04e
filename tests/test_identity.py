"""Identity stitching end to end: small extracts, the real `cdp run` path (Dagster, dbt, DuckDB).

Each case has its own small fixture (its own identifiers) written into one landing zone of
three extract dates; nightly runs as of each date, then a rebuild from nothing as of the last
date, and the tests read what the runs left in the build database.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from orchestration.cli.run import run_nightly
from cdp.settings import Settings, parse_date
from ingestion import warehouse

DAYS = ["2026-03-01", "2026-03-02", "2026-03-03"]
CHAIN = 12

USER_HEADER = "openid,unionid,mobile,nickname,registered_at"
MEMBER_HEADER = (
    "member_id,mobile,unionid,name,gender,birthday,registered_at,register_store_id,"
    "tier_code,points_balance,status"
)
ORDER_HEADER = (
    "order_id,openid,order_status,total_amount,discount_amount,paid_amount,coupon_id,"
    "created_at,paid_at,updated_at"
)


@dataclass
class Snapshot:
    users: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    contacts: list[dict] = field(default_factory=list)

    def user(self, openid, unionid="", mobile="", registered="2026-02-01 10:00:00"):
        self.users.append(f"{openid},{unionid},{mobile},nick-{openid},{registered}")

    def member(self, member_id, mobile="", unionid="", name="", registered="2026-02-01 10:00:00"):
        self.members.append(f"{member_id},{mobile},{unionid},{name},F,,{registered},S1,NORMAL,0,active")

    def contact(self, external_userid, unionid=None, remark_mobiles=()):
        contact = {"external_userid": external_userid, "name": "客户", "type": 1, "gender": 2}
        if unionid:
            contact["unionid"] = unionid
        follow = {"userid": "staff01", "remark": "", "createtime": 1769900000,
                  "remark_mobiles": list(remark_mobiles), "tags": []}
        self.contacts.append({"external_contact": contact, "follow_user": [follow]})


def snapshot(day: int) -> Snapshot:
    """The three snapshots of extract date DAYS[day]: every case's records."""
    s = Snapshot()
    # The three mobile formats are one number: one customer across the three systems.
    s.member("M-FMT", mobile="138 0013 8101")
    s.user("o-fmt", mobile="+86-13800138101")
    s.contact("wm-fmt", remark_mobiles=["008613800138101"])
    # A blocklisted phone and a blocklisted unionid join nobody.
    s.member("M-BLK1", mobile="13800138000")
    s.member("M-BLK2", mobile="+86 138 0013 8000")
    s.member("M-BLK3", unionid="NULL")
    s.user("o-blk", unionid="null")
    # An invalid mobile (12...) is no identifier.
    s.member("M-INV1", mobile="12345678901")
    s.member("M-INV2", mobile="12345678901")
    # A store phone on five members is shared; one of them is linked to a user by unionid.
    for i in range(1, 6):
        s.member(f"M-SHR{i}", mobile="13900139000", unionid="u-shr" if i == 1 else "")
    s.user("o-shr", unionid="u-shr")
    # A chain member-unionid-user-mobile-member-... of 4 x CHAIN + 1 identifiers.
    for i in range(CHAIN):
        s.member(f"M-CH{i:02d}", mobile=f"1370000{i:04d}", unionid=f"u-ch{i:02d}")
        s.user(f"o-ch{i:02d}", unionid=f"u-ch{i:02d}", mobile=f"1370000{i + 1:04d}")
    # Two customers merged on the third day by a phone number the user adds.
    s.member("M-MRG", mobile="13600136001", name="先来的", registered="2026-02-01 10:00:00")
    if day >= 1:
        s.user("o-mrg", mobile="13600136001" if day >= 2 else "", registered="2026-03-02 09:00:00")
    return s


def write_landing(root: Path) -> None:
    for day, folder in enumerate(DAYS):
        s = snapshot(day)
        files = {
            ("miniprogram", "users.csv"): "\n".join([USER_HEADER, *s.users]),
            ("member", "members.csv"): "\n".join([MEMBER_HEADER, *s.members]),
            ("wecom", "external_contacts.jsonl"): "\n".join(json.dumps(c, ensure_ascii=False) for c in s.contacts),
        }
        if day == 0:
            files[("miniprogram", "orders.csv")] = "\n".join([
                ORDER_HEADER,
                "MO-LONE,o-lone,paid,10.00,0.00,10.00,,2026-03-01 12:00:00,2026-03-01 12:01:00,2026-03-01 12:01:00",
                "MO-SHR,o-shr,paid,20.00,0.00,20.00,,2026-03-01 12:00:00,2026-03-01 12:01:00,2026-03-01 12:01:00",
            ])
        for (source, name), text in files.items():
            path = root / source / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text + "\n", encoding="utf-8")


@dataclass
class Warehouse:
    path: Path

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as conn:
            return conn.execute(sql, params or []).fetchall()

    def customers(self) -> dict[str, str]:
        """identifier key -> customer id, as of the last run."""
        return dict(self.query(
            "select identifier_key, customer_id from intermediate.int_identity__customer_identifiers"
        ))

    def customer_of(self, key: str) -> str | None:
        return self.customers().get(key)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    root = tmp_path_factory.mktemp("identity")
    landing = root / "landing"
    write_landing(landing)
    out: dict[str, object] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(root / "dagster"))
        (root / "dagster").mkdir()
        mp.setenv("CDP_LANDING_DIR", str(landing))
        for name, days in (("nightly", DAYS), ("rebuild", DAYS[-1:])):
            mp.setenv("CDP_WAREHOUSE_DIR", str(root / name))
            settings = Settings.from_env()
            for day in days:
                assert run_nightly(settings, as_of=parse_date(day, "day"), reload=[], say=print) == 0
                out[f"{name} {day}"] = Warehouse(warehouse.build_database(root / name)).customers()
            out[name] = Warehouse(warehouse.build_database(root / name))
    yield out


@pytest.fixture(scope="module")
def nightly(runs) -> Warehouse:
    return runs["nightly"]


def test_three_mobile_formats_are_one_customer(nightly: Warehouse):
    ids = nightly.customers()
    assert ids["member_id:M-FMT"] == ids["openid:o-fmt"] == ids["external_userid:wm-fmt"]
    assert ids["mobile:13800138101"] == ids["member_id:M-FMT"]
    profile = nightly.query(
        "select mobile_masked, sources from marts.customer_profile where customer_id = ?",
        [ids["member_id:M-FMT"]],
    )
    assert profile == [("138****8101", ["member", "miniprogram", "wecom"])]


def test_the_golden_record_prefers_the_member_system_and_never_a_blank(nightly: Warehouse):
    ids = nightly.customers()
    names = dict(nightly.query(
        "select customer_id, name from marts.customer_contacts where customer_id in (?, ?)",
        [ids["member_id:M-MRG"], ids["member_id:M-FMT"]],
    ))
    assert names[ids["member_id:M-MRG"]] == "先来的"  # the member's name over the nickname
    assert names[ids["member_id:M-FMT"]] == "客户"  # no member name: WeCom's, not a blank
    masked = dict(nightly.query(
        "select customer_id, name_masked from marts.customer_profile where customer_id in (?, ?)",
        [ids["member_id:M-MRG"], ids["member_id:M-FMT"]],
    ))
    assert masked == {ids["member_id:M-MRG"]: "先**", ids["member_id:M-FMT"]: "客*"}


def test_blocklisted_values_join_nobody(nightly: Warehouse):
    ids = nightly.customers()
    assert len({ids["member_id:M-BLK1"], ids["member_id:M-BLK2"]}) == 2
    assert ids["member_id:M-BLK3"] != ids["openid:o-blk"]
    assert not [k for k in ids if k in ("mobile:13800138000", "unionid:null", "unionid:NULL")]
    stats = nightly.query(
        "select blocklisted_values, invalid_mobiles from marts.identity_graph_stats "
        "where as_of_date = ?", [DAYS[-1]]
    )
    assert stats == [(4, 1)]  # 13800138000, +86 138 0013 8000, NULL, null; 12345678901


def test_an_invalid_mobile_is_no_identifier(nightly: Warehouse):
    ids = nightly.customers()
    assert ids["member_id:M-INV1"] != ids["member_id:M-INV2"]
    assert "mobile:12345678901" not in ids


def test_a_shared_store_phone_is_dropped_and_audited(nightly: Warehouse):
    ids = nightly.customers()
    members = [ids[f"member_id:M-SHR{i}"] for i in range(1, 6)]
    assert len(set(members)) == 5
    assert ids["openid:o-shr"] == ids["unionid:u-shr"] == members[0]
    assert "mobile:13900139000" not in ids
    dropped = nightly.query(
        "select from_key, reason from marts.identity_dropped_edges where shared_key = 'mobile:13900139000'"
    )
    assert sorted(k for k, _ in dropped) == [f"member_id:M-SHR{i}" for i in range(1, 6)]
    assert {r for _, r in dropped} == {"shared mobile: linked to 5 distinct member_id values (more than 3)"}
    order = nightly.query("select customer_id from intermediate.int_customers__orders where order_id = 'MO-SHR'")
    assert order == [(members[0],)]


def test_a_long_chain_is_one_customer(nightly: Warehouse):
    ids = nightly.customers()
    chain = [k for k in ids if "-ch" in k.lower() or k.startswith("mobile:1370000")]
    assert len(chain) == 4 * CHAIN + 1
    assert len({ids[k] for k in chain}) == 1


def test_a_lone_openid_on_orders_only_is_a_customer(nightly: Warehouse):
    customer = nightly.customer_of("openid:o-lone")
    assert customer is not None
    assert [k for k, c in nightly.customers().items() if c == customer] == ["openid:o-lone"]
    profile = nightly.query(
        "select openids, sources, order_count, total_spend from marts.customer_profile "
        "where customer_id = ?", [customer]
    )
    assert profile == [(["o-lone"], ["miniprogram"], 1, 10)]


def test_a_phone_added_later_merges_two_customers(runs):
    before, after = runs[f"nightly {DAYS[1]}"], runs[f"nightly {DAYS[2]}"]
    first, second = before["member_id:M-MRG"], before["openid:o-mrg"]
    assert first != second
    assert after["openid:o-mrg"] == after["member_id:M-MRG"] == first  # assigned a day earlier
    assert {k: v for k, v in after.items() if k in before and k != "openid:o-mrg"} == {
        k: v for k, v in before.items() if k != "openid:o-mrg"
    }
    merges = runs["nightly"].query("select merged_customer_id, customer_id, merged_on from marts.customer_merges")
    assert [(m, c, str(d)) for m, c, d in merges] == [(second, first, DAYS[2])]
    stats = runs["nightly"].query(
        "select as_of_date::varchar, merged_customers from marts.identity_graph_stats order by 1"
    )
    assert stats == [(DAYS[0], 0), (DAYS[1], 0), (DAYS[2], 1)]


def test_a_second_run_for_the_same_date_changes_nothing(runs, nightly: Warehouse):
    history = nightly.query("select count(*) from intermediate.int_identity__customer_id_history")
    settings = Settings.from_env({"CDP_LANDING_DIR": str(nightly.path.parent.parent / "landing"),
                                  "CDP_WAREHOUSE_DIR": str(nightly.path.parent)})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CDP_LANDING_DIR", str(settings.landing_dir))
        mp.setenv("CDP_WAREHOUSE_DIR", str(settings.warehouse_dir))
        mp.setenv("DAGSTER_HOME", str(nightly.path.parent.parent / "dagster"))
        assert run_nightly(settings, as_of=parse_date(DAYS[-1], "day"), reload=[], say=print) == 0
    assert nightly.customers() == runs[f"nightly {DAYS[-1]}"]
    assert nightly.query("select count(*) from intermediate.int_identity__customer_id_history") == history
    assert len(nightly.query("select * from marts.customer_merges")) == 1
    assert len(nightly.query("select * from marts.identity_graph_stats")) == len(DAYS)


def test_a_rebuild_equals_the_nightly_result(runs):
    assert runs[f"rebuild {DAYS[-1]}"] == runs[f"nightly {DAYS[-1]}"]
