"""The daily actions end to end (playbook §15-§16): the nightly job over eleven generated days
(one early day, then ten consecutive ones), judged from the published tables alone: no
customer gets two issued actions in a day, no "once" action repeats, no cooldown is broken,
the control group is the md5 split (near 10% of each action), and the outcomes of an issue
date appear once it is 14 days old. Real Dagster, dbt, GX and DuckDB through `cdp run`'s own
function."""

from __future__ import annotations

import csv
import hashlib
import math
from collections import defaultdict
from datetime import date, timedelta

import duckdb
import pytest

from cdp import publish
from cdp.generate import generate
from cdp.run import EXIT_OK, run_nightly
from cdp.settings import Settings
from orchestration.dbt_manifest import PROJECT_DIR

END = date(2026, 10, 31)
EARLY = END - timedelta(days=20)
CONSECUTIVE = [END - timedelta(days=n) for n in range(9, -1, -1)]
RUNS = [EARLY, *CONSECUTIVE]
CONTROL_PERCENT = 10


def cooldowns() -> dict[str, int | None]:
    """The catalog seed's cooldown per action (None: once per customer, ever)."""
    with (PROJECT_DIR / "seeds" / "action_catalog.csv").open(encoding="utf-8") as f:
        return {
            row["action"]: int(row["cooldown_days"]) if row["cooldown_days"] else None
            for row in csv.DictReader(f)
        }


def bucket(customer_id: str, action: str) -> int:
    return int(hashlib.md5(f"{customer_id}:{action}".encode()).hexdigest()[:8], 16) % 100


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory):
    """Each run's published customer_actions rows and the last run's mart_action_outcomes."""
    root = tmp_path_factory.mktemp("actions")
    landing = root / "landing"
    generate(landing, customers=300, days=40, seed=5, end=END)
    actions: dict[date, list[tuple]] = {}
    with pytest.MonkeyPatch.context() as mp:
        (root / "dagster").mkdir()
        mp.setenv("DAGSTER_HOME", str(root / "dagster"))
        mp.setenv("CDP_LANDING_DIR", str(landing))
        mp.setenv("CDP_WAREHOUSE_DIR", str(root / "warehouse"))
        settings = Settings.from_env()
        for as_of in RUNS:
            lines: list[str] = []
            code = run_nightly(settings, as_of=as_of, reload=[], say=lines.append, dbt_vars="")
            assert code == EXIT_OK, "\n".join(lines[-30:])
            with duckdb.connect(
                str(publish.database_path(settings.warehouse_dir)), read_only=True
            ) as conn:
                actions[as_of] = conn.execute(
                    "select customer_id, action, status, as_of_date from customer_actions"
                ).fetchall()
                outcomes = conn.execute(
                    "select issue_date, action, issued, control, issued_converted, "
                    "control_converted from mart_action_outcomes"
                ).fetchall()
    return actions, outcomes


def given(actions: dict[date, list[tuple]]) -> list[tuple]:
    """(customer, action, status, date) of every issued or control row of every run."""
    return [row for rows in actions.values() for row in rows if row[2] in ("issued", "control")]


def test_every_run_publishes_its_own_list(published):
    actions, _ = published
    for as_of, rows in actions.items():
        assert rows, as_of
        assert {row[3] for row in rows} == {as_of}


def test_no_customer_gets_two_issued_actions_in_a_day(published):
    actions, _ = published
    for as_of, rows in actions.items():
        per_customer = defaultdict(int)
        for customer_id, _, status, _ in rows:
            per_customer[customer_id] += status == "issued"
        assert max(per_customer.values()) <= 1, as_of


def test_no_once_action_repeats_and_no_cooldown_is_broken(published):
    actions, _ = published
    days = cooldowns()
    dates = defaultdict(list)
    for customer_id, action, _, as_of in given(actions):
        dates[customer_id, action].append(as_of)
    repeated = 0
    for (customer_id, action), seen in dates.items():
        seen.sort()
        if days[action] is None:
            assert len(seen) == 1, (customer_id, action, seen)
        for earlier, later in zip(seen, seen[1:]):
            repeated += 1
            assert (later - earlier).days >= days[action], (customer_id, action, seen)
    assert repeated > 0, "no action came back after its cooldown: the test judged nothing"


def test_the_control_group_is_the_md5_split_near_ten_percent(published):
    actions, _ = published
    rows = given(actions)
    per_action = defaultdict(lambda: [0, 0])
    for customer_id, action, status, _ in rows:
        assert (status == "control") == (bucket(customer_id, action) < CONTROL_PERCENT)
        per_action[action][status == "control"] += 1
    total = sum(issued + control for issued, control in per_action.values())
    share = sum(control for _, control in per_action.values()) / total
    assert abs(share - CONTROL_PERCENT / 100) <= 3 * math.sqrt(0.09 / total) + 0.01, share
    for action, (issued, control) in per_action.items():
        n = issued + control
        if n >= 100:
            assert abs(control / n - 0.1) <= 3 * math.sqrt(0.09 / n) + 0.01, (action, control, n)


def test_outcomes_appear_for_issue_dates_at_least_14_days_old(published):
    actions, outcomes = published
    assert {row[0] for row in outcomes} == {EARLY}
    early = [row for row in actions[EARLY] if row[2] in ("issued", "control")]
    assert sum(row[2] for row in outcomes) == sum(row[2] == "issued" for row in early) > 0
    assert sum(row[3] for row in outcomes) == sum(row[2] == "control" for row in early) > 0
    assert all(row[4] <= row[2] and row[5] <= row[3] for row in outcomes)
