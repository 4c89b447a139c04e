"""The customer marts across nightly runs: value tier history, a refund that removes the only
order, the daily lifecycle counts, a re-run of the same date; small extracts (tests/three_days.py)
through the real `cdp run` path (Dagster, dbt, DuckDB)."""

from __future__ import annotations

from collections import Counter

import pytest

from three_days import DAYS, Runs, Warehouse


@pytest.fixture(scope="module")
def db(three_days: Runs) -> Warehouse:
    """The warehouse after the nights of DAYS and a re-run of the last."""
    return three_days.nightly


def test_tier_changes_against_the_previous_run(db: Warehouse):
    tiers = {
        row[0]: row[1:]
        for row in db.query(
            "select customer_id, spend_365d, value_tier, member_system_tier, tier_mismatch, "
            "previous_value_tier, tier_change from marts.customer_tier",
        )
    }
    assert tiers[db.customer("M-UP")] == (1100, "gold", "SILVER", True, "gold", "same")
    assert tiers[db.customer("M-DOWN")] == (0, "normal", "PLATINUM", True, "platinum", "downgrade")
    assert tiers[db.customer("M-SAME")] == (100, "normal", "NORMAL", False, "normal", "same")


def test_tier_history_keeps_every_change_with_validity(db: Warehouse):
    history = db.query(
        "select customer_id, value_tier, previous_value_tier, tier_change, "
        "cast(valid_from as varchar), cast(valid_to as varchar) "
        "from marts.customer_tier_history order by customer_id, valid_from",
    )
    up, down, same = (db.customer(m) for m in ("M-UP", "M-DOWN", "M-SAME"))
    assert [r for r in history if r[0] == up] == [
        (up, "silver", None, "new", DAYS[0], DAYS[1]),
        (up, "gold", "silver", "upgrade", DAYS[1], None),
    ]
    assert [r for r in history if r[0] == down] == [
        (down, "platinum", None, "new", DAYS[0], DAYS[2]),
        (down, "normal", "platinum", "downgrade", DAYS[2], None),
    ]
    assert [r for r in history if r[0] == same] == [(same, "normal", None, "new", DAYS[0], None)]
    downgraded_in_march = db.query(
        "select customer_id from marts.customer_tier_history where tier_change = 'downgrade' "
        "and valid_from between date '2026-03-01' and date '2026-03-31'",
    )
    assert downgraded_in_march == [(down,)]


def test_a_refund_removes_the_only_order(db: Warehouse):
    down = db.customer("M-DOWN")
    lifecycle = db.query(
        "select order_count, last_order_date, lifecycle_stage, lifecycle_stage_zh "
        "from marts.customer_lifecycle where customer_id = ?",
        [down],
    )
    assert lifecycle == [(0, None, "introduction", "引入期")]
    assert db.query("select * from marts.customer_rfm where customer_id = ?", [down]) == []


def test_lifecycle_daily_counts_every_run_once(three_days: Runs, db: Warehouse):
    """Each date's counts are that night's stages, counted once (the last date ran twice);
    the marts' members move as their orders say."""
    counts = db.query(
        "select cast(as_of_date as varchar), dimension_value, customers "
        "from marts.mart_lifecycle_daily where dimension = 'lifecycle' order by all",
    )
    assert counts == sorted(
        (day, stage, customers)
        for day, stages in three_days.stages.items()
        for stage, customers in Counter(stages.values()).items()
    )
    up, down, same = (db.customer(m) for m in ("M-UP", "M-DOWN", "M-SAME"))
    assert [(s[up], s[down], s[same]) for s in three_days.stages.values()] == [
        ("growth", "growth", "growth"),
        ("mature", "growth", "growth"),
        ("mature", "introduction", "growth"),
    ]


def test_a_second_run_of_the_same_date_changes_no_history(three_days: Runs, db: Warehouse):
    histories = ("marts.customer_tier_history", "marts.mart_lifecycle_daily")
    assert db.tables(histories) == {table: three_days.before_rerun[table] for table in histories}


def test_every_customer_joined_has_one_stage_one_tier_and_its_tags(db: Warehouse):
    joined = db.query("select customer_id from marts.customer_lifecycle order by 1")
    assert joined == db.query("select customer_id from marts.customer_tier order by 1")
    for group in ("lifecycle", "journey_stage", "value_tier"):
        tagged = db.query(
            "select customer_id from marts.customer_tags where tag_group = ? order by 1",
            [group],
        )
        assert tagged == joined, group
    labels = db.query("select count(*) from marts.customer_tags where tag_label_zh is null")
    assert labels == [(0,)]
