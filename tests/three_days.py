"""Three extract dates of hand-written cases, run through the real `cdp run` path (Dagster,
dbt, DuckDB) once per test run, for tests/test_identity.py and tests/test_marts.py.

The identity cases (each with identifiers of its own) and the customer marts' cases (three
members whose value tier goes up, down and stays) share one landing zone: a nightly run costs
the same on three customers as on thirty, so both modules read the same runs. Nightly runs as
of each date, then as of the last date again; then the stitching rebuilt from nothing as of
the last date in a warehouse of its own (the extracts loaded, and dbt's build of the identity
models and what they read: 4-6 s of CPU here, where a whole night took about 25 s for the
check of one table). `Runs` keeps what a later run replaces: each night's customers and
lifecycle stages, and the tables a re-run must leave as they were.

The first test process to ask builds the runs under a file lock in the test run's folder
(which pytest-xdist's workers share); the other reads what it left.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

from cdp.settings import Settings, parse_date
from dbt_in_process import dbt
from ingestion import warehouse
from ingestion.loader import ingest
from orchestration.cli.run import run_nightly
from orchestration.lib.dbt.build_log import DBT_TARGET

DAYS = ["2026-03-01", "2026-03-02", "2026-03-03"]
IDENTITY = "int_identity__customer_identifiers"
"""The stitching's result: identifier key -> customer id."""
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
OFFLINE_HEADER = "order_id,member_id,store_id,order_status,paid_amount,paid_at,updated_at"

TIERS = {"M-UP": "SILVER", "M-DOWN": "PLATINUM", "M-SAME": "NORMAL"}
"""The marts' members and their member-system tiers."""
OFFLINE_ORDERS = {  # extract date -> in-store order versions
    DAYS[0]: [
        "OO-UP1,M-UP,S1,paid,600.00,2026-03-01 10:00:00,2026-03-01 10:00:00",
        "OO-DOWN,M-DOWN,S1,paid,1600.00,2026-03-01 11:00:00,2026-03-01 11:00:00",
        "OO-SAME,M-SAME,S1,paid,100.00,2026-03-01 12:00:00,2026-03-01 12:00:00",
    ],
    DAYS[1]: ["OO-UP2,M-UP,S1,paid,500.00,2026-03-02 10:00:00,2026-03-02 10:00:00"],
    DAYS[2]: ["OO-DOWN,M-DOWN,S1,refunded,1600.00,2026-03-01 11:00:00,2026-03-03 09:00:00"],
}

KEPT_BY_A_RERUN = (
    "intermediate.int_identity__customer_identifiers",
    "intermediate.int_identity__customer_id_history",
    "marts.customer_merges",
    "marts.identity_graph_stats",
    "marts.customer_tier_history",
    "marts.mart_lifecycle_daily",
)
"""The tables a second run of the last date must leave as the first left them."""


@dataclass
class Snapshot:
    users: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    contacts: list[dict] = field(default_factory=list)

    def user(self, openid, unionid="", mobile="", registered="2026-02-01 10:00:00"):
        self.users.append(f"{openid},{unionid},{mobile},nick-{openid},{registered}")

    def member(self, member_id, mobile="", unionid="", name="", registered="2026-02-01 10:00:00",
               tier="NORMAL"):
        self.members.append(
            f"{member_id},{mobile},{unionid},{name},F,,{registered},S1,{tier},0,active"
        )

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
    # The marts' members: their in-store orders are OFFLINE_ORDERS.
    for member_id, tier in TIERS.items():
        s.member(member_id, tier=tier)
    return s


def write_landing(root: Path) -> None:
    for day, folder in enumerate(DAYS):
        s = snapshot(day)
        files = {
            ("miniprogram", "users.csv"): "\n".join([USER_HEADER, *s.users]),
            ("member", "members.csv"): "\n".join([MEMBER_HEADER, *s.members]),
            ("member", "offline_orders.csv"): "\n".join([OFFLINE_HEADER, *OFFLINE_ORDERS[folder]]),
            ("wecom", "external_contacts.jsonl"): "\n".join(
                json.dumps(c, ensure_ascii=False) for c in s.contacts
            ),
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
            f"select identifier_key, customer_id from intermediate.{IDENTITY}"
        ))

    def customer_of(self, key: str) -> str | None:
        return self.customers().get(key)

    def customer(self, member_id: str) -> str:
        return self.customers()[f"member_id:{member_id}"]

    def stages(self) -> dict[str, str]:
        """customer id -> lifecycle stage, as of the last run."""
        return dict(self.query("select customer_id, lifecycle_stage from marts.customer_lifecycle"))

    def tables(self, names: tuple[str, ...]) -> dict[str, list[tuple]]:
        return {name: self.query(f"select * from {name} order by all") for name in names}


@dataclass
class Runs:
    nightly: Warehouse
    """After the nights of DAYS and the re-run of the last."""
    rebuild: Warehouse
    """The stitching built from nothing as of the last date, in a new warehouse."""
    customers: dict[str, dict[str, str]] = field(default_factory=dict)
    """Each night's customers (identifier key -> customer id), by date."""
    stages: dict[str, dict[str, str]] = field(default_factory=dict)
    """Each night's lifecycle stages (customer id -> stage), by date."""
    before_rerun: dict[str, list[tuple]] = field(default_factory=dict)
    """KEPT_BY_A_RERUN's rows after the first run of the last date."""


RECORDS = "runs.pickle"


def _night(root: Path, warehouse_dir: Path, day: str) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(root / "dagster"))
        mp.setenv("CDP_LANDING_DIR", str(root / "landing"))
        mp.setenv("CDP_WAREHOUSE_DIR", str(warehouse_dir))
        assert run_nightly(Settings.from_env(), as_of=parse_date(day, "day"), reload=[], say=print) == 0


def _rebuild(root: Path, warehouse_dir: Path, day: str) -> None:
    with warehouse.connect(warehouse.build_database(warehouse_dir)) as conn:
        ingest(conn, root / "landing", as_of=parse_date(day, "day"))
    dbt(
        "build", "--select", f"+{IDENTITY}", warehouse_dir=warehouse_dir,
        target=warehouse_dir / DBT_TARGET, environment={"CDP_AS_OF": day},
    )


def build(root: Path) -> Runs:
    write_landing(root / "landing")
    (root / "dagster").mkdir()
    runs = Runs(
        nightly=Warehouse(warehouse.build_database(root / "nightly")),
        rebuild=Warehouse(warehouse.build_database(root / "rebuild")),
    )
    for day in DAYS:
        _night(root, root / "nightly", day)
        runs.customers[day] = runs.nightly.customers()
        runs.stages[day] = runs.nightly.stages()
    runs.before_rerun = runs.nightly.tables(KEPT_BY_A_RERUN)
    _night(root, root / "nightly", DAYS[-1])
    _rebuild(root, root / "rebuild", DAYS[-1])
    return runs


def shared_runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """The runs, built by the first test process of this test run to ask (a build that
    failed is tried again, and fails again, in the next)."""
    folder = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # a worker's folder is inside the run's
        folder = folder.parent
    root = folder / "three-days"
    with FileLock(f"{root}.lock"):
        if not (root / RECORDS).exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir()
            runs = build(root)
            (root / RECORDS).write_bytes(pickle.dumps(runs))
    return pickle.loads((root / RECORDS).read_bytes())
