"""The whole nightly path end to end on generated extracts, over a run of nearby days: ingest,
the inputs' gate, dbt, the purchase model, the published tables' gate, publish. An early day
publishes, then five days out of eight, over which the daily actions are judged from the
published tables alone (playbook §15-§16): no customer gets two issued actions in a day, no
"once" action repeats, no cooldown is broken, the control group is the md5 split near 10% of
each action, and the outcomes of an issue date appear once it is 14 days old. Then a day with
a truncated member export is refused and leaves the published files byte for byte; the next
day publishes again; a re-run of a date publishes the same tables; a corrupt file exits 2.
Real Dagster, dbt, GX and DuckDB through `cdp run`'s own function."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import subprocess
import sys
from collections import defaultdict
from contextlib import redirect_stderr
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from cdp import publish
from tools.generate import generate
from orchestration.cli.run import EXIT_BAD_INPUT, EXIT_GATE_REFUSED, EXIT_OK, run_nightly
from cdp.settings import Settings
from cdp.wecom.sync import sync_wecom
from orchestration.dbt_manifest import PROJECT_DIR

END = date(2026, 10, 31)
DAYS = [END - timedelta(days=n) for n in (3, 2, 1)]
"""Day 1 publishes, day 2's member export is truncated, day 3 publishes again; the last
generated date (END) gets a corrupt file."""
EARLY = END - timedelta(days=22)
LEAD_IN = [END - timedelta(days=n) for n in (8, 7, 4)]
"""Before day 1: an early day, whose actions' outcomes are final by day 3 (14 days on), then
three days leading into day 1. With day 1 and day 3, five days out of eight publish, and some
two of them are any number of days from 1 to 7 apart (7, the shortest cooldown: the first
and day 3). As days before END, 8, 7, 4, 3 and 1: 1 apart (8 and 7), 2 (3, 1), 3 (7, 4),
4 (8, 4), 5 (8, 3), 6 (7, 1), 7 (8, 1). A night 5 or 6 days before END adds no new gap."""
CONTROL_PERCENT = 10


def published_bytes(warehouse_dir: Path) -> dict[str, bytes]:
    """Every published file as a reader reaches it (through the fixed paths)."""
    files = {publish.DATABASE: publish.database_path(warehouse_dir).read_bytes()}
    for path in sorted(publish.folder_path(warehouse_dir).iterdir()):
        files[f"{publish.FOLDER}/{path.name}"] = path.read_bytes()
    return files


def truncate(path: Path, keep: float) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    rows = len(lines) - 1
    path.write_bytes(b"".join(lines[: 1 + int(rows * keep)]))


def published_query(warehouse_dir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(publish.database_path(warehouse_dir)), read_only=True) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def days(tmp_path_factory: pytest.TempPathFactory):
    """Runs as of each day, recording exit code, output and the published files after it."""
    root = tmp_path_factory.mktemp("nightly")
    landing = root / "landing"
    generate(landing, customers=400, days=40, seed=11, end=END, snapshot_every=1)
    truncate(landing / "member" / DAYS[1].isoformat() / "members.csv", keep=0.6)
    (landing / "wecom" / END.isoformat() / "contact_events.jsonl").write_text(
        '{"ExternalUserID": "wm1", "UserID": "s1", "ChangeType"\n', encoding="utf-8"
    )
    outcomes = {}
    actions: dict[date, list[tuple]] = {}
    with pytest.MonkeyPatch.context() as mp:
        (root / "dagster").mkdir()
        mp.setenv("DAGSTER_HOME", str(root / "dagster"))
        mp.setenv("CDP_LANDING_DIR", str(landing))
        mp.setenv("CDP_WAREHOUSE_DIR", str(root / "warehouse"))
        settings = Settings.from_env()
        for label, as_of, dbt_vars in (
            ("early", EARLY, ""),
            *((f"lead-in {day}", day, "") for day in LEAD_IN),
            ("day1", DAYS[0], ""),
            ("day2", DAYS[1], ""),
            ("day3", DAYS[2], ""),
            ("day3 again", DAYS[2], ""),
            ("day3 shrunk", DAYS[2], "{rfm_window_days: 1}"),  # customer_rfm loses most rows
            ("corrupt", END, ""),
        ):
            lines: list[str] = []
            errors = io.StringIO()
            with redirect_stderr(errors):
                code = run_nightly(
                    settings, as_of=as_of, reload=[], say=lines.append, dbt_vars=dbt_vars
                )
            lines.extend(f"stderr: {line}" for line in errors.getvalue().splitlines())
            outcomes[label] = (code, lines, published_bytes(settings.warehouse_dir))
            if code == EXIT_OK:  # the day's list as published (a re-run replaces it)
                actions[as_of] = published_query(
                    settings.warehouse_dir,
                    "select customer_id, action, status, as_of_date from customer_actions",
                )
    ACTIONS.update(actions)
    return settings.warehouse_dir, outcomes


ACTIONS: dict[date, list[tuple]] = {}
"""Each publishing day's customer_actions rows (customer, action, status, as-of date)."""


def test_the_first_day_publishes_every_table_with_its_manifest(days):
    warehouse_dir, outcomes = days
    code, lines, files = outcomes["day1"]
    assert code == EXIT_OK, lines
    manifest = json.loads(files[f"{publish.FOLDER}/{publish.MANIFEST}"])
    assert manifest["as_of_date"] == DAYS[0].isoformat()
    assert manifest["gate"]["verdict"] == "passed"
    spec_tables = {
        "customer_profile", "customer_rfm", "customer_lifecycle", "customer_churn_warning",
        "customer_tier", "customer_predictions", "model_parameters", "customer_tags",
        "customer_merges", "customer_replenishment", "customer_points", "customer_coupons",
        "mart_ltv_monthly", "customer_actions", "mart_action_outcomes", "wecom_tag_sync",
    }
    assert spec_tables <= set(manifest["tables"])
    for name in manifest["tables"]:
        assert f"{publish.FOLDER}/{name}.parquet" in files
    documented = published_query(
        warehouse_dir,
        "select count(*) from duckdb_columns() "
        "where table_name = 'customer_profile' and column_name = 'customer_id' and comment <> ''",
    )
    assert documented == [(1,)]
    summary = "\n".join(lines)
    for words in ("customers:", "lifecycle stages:", "RFM segments:", "to act on: replenishment",
                  "today's tasks: issued", "quality gate: passed", "data docs:", "published as of"):
        assert words in summary
    # said once each, and the ingestion table inside the summary, after the progress lines
    assert summary.count("data docs:") == summary.count("published as of") == 1
    assert lines.index(f"summary as of {DAYS[0]}:") < next(
        n for n, line in enumerate(lines) if "all entities" in line
    )
    assert any(re.fullmatch(
        r"  customers: [\d,]+ identifiers stitched into [\d,]+ customers "
        r"\(new [\d,]+; merged since the last run: [\d,]+\)", line) for line in lines)


def test_a_truncated_member_export_is_refused_and_changes_nothing_published(days, capsys):
    _, outcomes = days
    code, lines, files = outcomes["day2"]
    assert code == EXIT_GATE_REFUSED
    assert files == outcomes["day1"][2]  # byte for byte
    summary = "\n".join(lines)
    assert "REFUSED" in summary and "published files unchanged" in summary
    refusals = [line for line in lines if line.startswith("stderr: cdp run: quality gate refused to publish: ")]
    assert refusals and any("member/members" in line for line in refusals), lines


def test_the_refusal_names_the_table_and_the_expectation(days):
    warehouse_dir, _ = days
    reports = [json.loads(p.read_text()) for p in (warehouse_dir / "gate").glob("*.json")]
    refused = [r for r in reports if r["as_of_date"] == DAYS[1].isoformat()]
    assert refused and refused[0]["verdict"] == "refused"
    failures = [f for r in refused[0]["results"] for f in r["failures"]]
    assert any("member" in f and "members" in f for f in failures), failures


def test_the_next_day_publishes_and_forgets_the_refused_day(days):
    warehouse_dir, outcomes = days
    code, lines, files = outcomes["day3"]
    assert code == EXIT_OK, lines
    manifest = json.loads(files[f"{publish.FOLDER}/{publish.MANIFEST}"])
    assert manifest["as_of_date"] == DAYS[2].isoformat()
    dates = {row[0] for row in published_query(
        warehouse_dir, "select distinct as_of_date from mart_lifecycle_daily"
    )}
    assert DAYS[1] not in dates and {DAYS[0], DAYS[2]} <= dates


def test_a_second_run_of_a_date_publishes_the_same_tables(days):
    _, outcomes = days
    code, lines, files = outcomes["day3 again"]
    assert code == EXIT_OK, lines
    first = json.loads(outcomes["day3"][2][f"{publish.FOLDER}/{publish.MANIFEST}"])
    again = json.loads(files[f"{publish.FOLDER}/{publish.MANIFEST}"])
    assert again["run_id"] != first["run_id"]
    assert again["tables"] == first["tables"]  # rows and checksums


def test_a_table_refused_before_the_publish_changes_nothing_published(days):
    _, outcomes = days
    code, lines, files = outcomes["day3 shrunk"]
    assert code == EXIT_GATE_REFUSED
    assert files == outcomes["day3 again"][2]  # byte for byte
    refusals = [line for line in lines if line.startswith("stderr: cdp run: quality gate refused")]
    assert any(line.startswith(
        "stderr: cdp run: quality gate refused to publish: customer_rfm: "
        "expect_column_values_to_be_between row_change"
    ) for line in refusals), lines


def test_a_corrupt_file_exits_2_and_publishes_nothing(days):
    _, outcomes = days
    code, lines, files = outcomes["corrupt"]
    assert code == EXIT_BAD_INPUT
    assert files == outcomes["day3 again"][2]
    errors = [line for line in lines if line.startswith("stderr: ")]
    assert len(errors) == 1 and "contact_events.jsonl" in errors[0] and "line 1" in errors[0]


def readme_questions() -> list[str]:
    """The SQL statements of the README's analyst questions."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sql\n", 1)[1].split("```", 1)[0]
    return [statement.strip() for statement in block.split(";") if statement.strip()]


def test_the_readme_questions_run_on_the_published_file(days):
    warehouse_dir, _ = days
    questions = readme_questions()
    assert len(questions) == 10
    shell = Path(sys.executable).with_name("duckdb")  # the CLI the README gives analysts
    database = warehouse_dir / publish.DATABASE
    for sql in questions:
        published_query(warehouse_dir, sql)
        done = subprocess.run(
            [str(shell), "-readonly", "-csv", str(database), "-c", sql],
            capture_output=True, text=True, check=False,
        )
        assert done.returncode == 0 and done.stderr == "", (sql, done.stderr)
        assert done.stdout.count("\n") == 1 + len(published_query(warehouse_dir, sql))
    segments = published_query(warehouse_dir, questions[0])
    assert sum(row[2] for row in segments) == published_query(
        warehouse_dir, "select count(*) from customer_rfm"
    )[0][0]
    tasks = published_query(warehouse_dir, questions[8])
    assert tasks and len(tasks) == published_query(
        warehouse_dir,
        "select count(*) from customer_actions where status = 'issued' and channel = 'wecom' "
        "group by owner_userid order by 1 desc limit 1",
    )[0][0]


def test_the_wecom_sync_plans_from_the_published_table(days, monkeypatch):
    warehouse_dir, _ = days
    monkeypatch.setenv("CDP_WAREHOUSE_DIR", str(warehouse_dir))
    rows = published_query(
        warehouse_dir,
        "select count(*), sum(len(add_tags)), sum(len(remove_tags)) from wecom_tag_sync",
    )[0]
    assert rows[0] > 0
    lines: list[str] = []
    assert sync_wecom(Settings.from_env(), apply=False, say=lines.append) == EXIT_OK
    plan = f"plan: {rows[0]:,} relationships to update, {rows[1]:,} tags to add, {rows[2]:,} to"
    assert any(line.startswith(plan) for line in lines), lines
    assert lines[-1].startswith("dry run: nothing sent")


def cooldowns() -> dict[str, int | None]:
    """The catalog seed's cooldown per action (None: once per customer, ever)."""
    with (PROJECT_DIR / "seeds" / "action_catalog.csv").open(encoding="utf-8") as f:
        return {
            row["action"]: int(row["cooldown_days"]) if row["cooldown_days"] else None
            for row in csv.DictReader(f)
        }


def bucket(customer_id: str, action: str) -> int:
    return int(hashlib.md5(f"{customer_id}:{action}".encode()).hexdigest()[:8], 16) % 100


def given() -> list[tuple]:
    """(customer, action, status, date) of every issued or control row of every day."""
    return [row for rows in ACTIONS.values() for row in rows if row[2] in ("issued", "control")]


def test_every_publishing_day_publishes_its_own_action_list(days):
    assert set(ACTIONS) == {EARLY, *LEAD_IN, DAYS[0], DAYS[2]}
    for as_of, rows in ACTIONS.items():
        assert rows and {row[3] for row in rows} == {as_of}


def test_no_customer_gets_two_issued_actions_in_a_day(days):
    for as_of, rows in ACTIONS.items():
        issued = defaultdict(int)
        for customer_id, _, status, _ in rows:
            issued[customer_id] += status == "issued"
        assert max(issued.values()) <= 1, as_of


def test_no_once_action_repeats_and_no_cooldown_is_broken(days):
    cooldown = cooldowns()
    dates = defaultdict(list)
    for customer_id, action, _, as_of in given():
        dates[customer_id, action].append(as_of)
    repeated = 0
    for (customer_id, action), seen in dates.items():
        seen.sort()
        if cooldown[action] is None:
            assert len(seen) == 1, (customer_id, action, seen)
        for earlier, later in zip(seen, seen[1:]):
            repeated += 1
            assert (later - earlier).days >= cooldown[action], (customer_id, action, seen)
    assert repeated > 0, "no action came back after its cooldown: nothing was judged"


def test_the_control_group_is_the_md5_split_near_ten_percent(days):
    per_action = defaultdict(lambda: [0, 0])
    for customer_id, action, status, _ in given():
        assert (status == "control") == (bucket(customer_id, action) < CONTROL_PERCENT)
        per_action[action][status == "control"] += 1
    total = sum(issued + control for issued, control in per_action.values())
    share = sum(control for _, control in per_action.values()) / total
    assert abs(share - CONTROL_PERCENT / 100) <= 3 * math.sqrt(0.09 / total) + 0.01, share
    for action, (issued, control) in per_action.items():
        n = issued + control
        if n >= 100:
            assert abs(control / n - 0.1) <= 3 * math.sqrt(0.09 / n) + 0.01, (action, control, n)


def test_outcomes_appear_for_issue_dates_at_least_14_days_old(days):
    warehouse_dir, _ = days
    outcomes = published_query(
        warehouse_dir,
        "select issue_date, action, issued, control, issued_converted, control_converted "
        "from mart_action_outcomes",
    )
    assert {row[0] for row in outcomes} == {EARLY}  # day 3: 21 days after it, 7 at most after the rest
    early = [row for row in ACTIONS[EARLY] if row[2] in ("issued", "control")]
    assert sum(row[2] for row in outcomes) == sum(row[2] == "issued" for row in early) > 0
    assert sum(row[3] for row in outcomes) == sum(row[2] == "control" for row in early) > 0
    assert all(row[4] <= row[2] and row[5] <= row[3] for row in outcomes)

