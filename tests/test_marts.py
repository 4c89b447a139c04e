"""The customer marts across nightly runs: value tier history, a refund that removes the only
order, the daily lifecycle counts, a re-run of the same date; small extracts through the real
`cdp run` path (Dagster, dbt, DuckDB)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from orchestration.cli.run import run_nightly
from cdp.settings import Settings, parse_date
from ingestion import warehouse

DAYS = ["2026-03-01", "2026-03-02", "2026-03-03"]
MEMBER_HEADER = (
    "member_id,mobile,unionid,name,gender,birthday,registered_at,register_store_id,"
    "tier_code,points_balance,status"
)
OFFLINE_HEADER = "order_id,member_id,store_id,order_status,paid_amount,paid_at,updated_at"
MEMBERS = {"M-UP": "SILVER", "M-DOWN": "PLATINUM", "M-SAME": "NORMAL"}
ORDERS = {  # extract date -> in-store order versions
    DAYS[0]: [
        "OO-UP1,M-UP,S1,paid,600.00,2026-03-01 10:00:00,2026-03-01 10:00:00",
        "OO-DOWN,M-DOWN,S1,paid,1600.00,2026-03-01 11:00:00,2026-03-01 11:00:00",
        "OO-SAME,M-SAME,S1,paid,100.00,2026-03-01 12:00:00,2026-03-01 12:00:00",
    ],
    DAYS[1]: ["OO-UP2,M-UP,S1,paid,500.00,2026-03-02 10:00:00,2026-03-02 10:00:00"],
    DAYS[2]: ["OO-DOWN,M-DOWN,S1,refunded,1600.00,2026-03-01 11:00:00,2026-03-03 09:00:00"],
}


def write_landing(root: Path) -> None:
    for day in DAYS:
        members = [f"{m},,,,F,,2026-02-01 10:00:00,S1,{tier},0,active" for m, tier in MEMBERS.items()]
        for name, lines in (
            ("members.csv", [MEMBER_HEADER, *members]),
            ("offline_orders.csv", [OFFLINE_HEADER, *ORDERS[day]]),
        ):
            path = root / "member" / day / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def build_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Nightly runs as of each date, then as of the last date again; the snapshots of
    customer_tier_history and mart_lifecycle_daily after the first run of the last date are
    kept in `<db>.first_run` for the re-run test."""
    root = tmp_path_factory.mktemp("marts")
    write_landing(root / "landing")
    with pytest.MonkeyPatch.context() as mp:
        (root / "dagster").mkdir()
        mp.setenv("DAGSTER_HOME", str(root / "dagster"))
        mp.setenv("CDP_LANDING_DIR", str(root / "landing"))
        mp.setenv("CDP_WAREHOUSE_DIR", str(root / "warehouse"))
        settings = Settings.from_env()
        db = warehouse.build_database(settings.warehouse_dir)
        for day in DAYS:
            assert run_nightly(settings, as_of=parse_date(day, "day"), reload=[], say=print) == 0
        first = {t: query(db, f"select * from marts.{t} order by all") for t in HISTORIES}
        assert run_nightly(settings, as_of=parse_date(DAYS[-1], "day"), reload=[], say=print) == 0
    FIRST_RUN.update(first)
    yield db


HISTORIES = ("customer_tier_history", "mart_lifecycle_daily")
FIRST_RUN: dict[str, list[tuple]] = {}


def customer(db: Path, member_id: str) -> str:
    return query(
        db,
        "select customer_id from intermediate.int_identity__customer_identifiers "
        "where identifier_key = ?",
        [f"member_id:{member_id}"],
    )[0][0]


def test_tier_changes_against_the_previous_run(build_db: Path):
    tiers = {
        row[0]: row[1:]
        for row in query(
            build_db,
            "select customer_id, spend_365d, value_tier, member_system_tier, tier_mismatch, "
            "previous_value_tier, tier_change from marts.customer_tier",
        )
    }
    assert tiers[customer(build_db, "M-UP")] == (1100, "gold", "SILVER", True, "gold", "same")
    assert tiers[customer(build_db, "M-DOWN")] == (0, "normal", "PLATINUM", True, "platinum", "downgrade")
    assert tiers[customer(build_db, "M-SAME")] == (100, "normal", "NORMAL", False, "normal", "same")


def test_tier_history_keeps_every_change_with_validity(build_db: Path):
    history = query(
        build_db,
        "select customer_id, value_tier, previous_value_tier, tier_change, "
        "cast(valid_from as varchar), cast(valid_to as varchar) "
        "from marts.customer_tier_history order by customer_id, valid_from",
    )
    up, down, same = (customer(build_db, m) for m in ("M-UP", "M-DOWN", "M-SAME"))
    assert [r for r in history if r[0] == up] == [
        (up, "silver", None, "new", DAYS[0], DAYS[1]),
        (up, "gold", "silver", "upgrade", DAYS[1], None),
    ]
    assert [r for r in history if r[0] == down] == [
        (down, "platinum", None, "new", DAYS[0], DAYS[2]),
        (down, "normal", "platinum", "downgrade", DAYS[2], None),
    ]
    assert [r for r in history if r[0] == same] == [(same, "normal", None, "new", DAYS[0], None)]
    downgraded_in_march = query(
        build_db,
        "select customer_id from marts.customer_tier_history where tier_change = 'downgrade' "
        "and valid_from between date '2026-03-01' and date '2026-03-31'",
    )
    assert downgraded_in_march == [(down,)]


def test_a_refund_removes_the_only_order(build_db: Path):
    down = customer(build_db, "M-DOWN")
    lifecycle = query(
        build_db,
        "select order_count, last_order_date, lifecycle_stage, lifecycle_stage_zh "
        "from marts.customer_lifecycle where customer_id = ?",
        [down],
    )
    assert lifecycle == [(0, None, "introduction", "引入期")]
    assert query(build_db, "select * from marts.customer_rfm where customer_id = ?", [down]) == []


def test_lifecycle_daily_counts_every_run_once(build_db: Path):
    counts = query(
        build_db,
        "select cast(as_of_date as varchar), dimension_value, customers "
        "from marts.mart_lifecycle_daily where dimension = 'lifecycle' order by all",
    )
    assert counts == [
        (DAYS[0], "growth", 3),
        (DAYS[1], "growth", 2),
        (DAYS[1], "mature", 1),
        (DAYS[2], "growth", 1),
        (DAYS[2], "introduction", 1),
        (DAYS[2], "mature", 1),
    ]


def test_a_second_run_of_the_same_date_changes_no_history(build_db: Path):
    for table in HISTORIES:
        assert query(build_db, f"select * from marts.{table} order by all") == FIRST_RUN[table]


def test_every_customer_joined_has_one_stage_one_tier_and_its_tags(build_db: Path):
    joined = query(build_db, "select customer_id from marts.customer_lifecycle order by 1")
    assert joined == query(build_db, "select customer_id from marts.customer_tier order by 1")
    for group in ("lifecycle", "journey_stage", "value_tier"):
        tagged = query(
            build_db,
            "select customer_id from marts.customer_tags where tag_group = ? order by 1",
            [group],
        )
        assert tagged == joined, group
    labels = query(build_db, "select count(*) from marts.customer_tags where tag_label_zh is null")
    assert labels == [(0,)]
