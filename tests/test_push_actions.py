"""`cdp push-actions` against a fake WeCom API (tests/fake_wecom.py) and a real published.duckdb
holding `customer_actions` and `customer_profile`."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fake_wecom import (
    ADD_MSG_TEMPLATE,
    GETTOKEN,
    FakeWecom,
    point_cdp_at,
    run_command,
    without_database,
)

from cdp.settings import Settings, SettingsError, WecomSettings
from cdp.wecom import push
from orchestration.cli import push_actions as push_actions_command
from cdp.wecom.api import WecomClient, WecomError
from cdp.wecom.ledger import CALL_LOG_FILE, LEDGER_FILE, PUSH_DIR
from cdp.wecom.push_plan import ACTION_CATALOG, load_push_plan, read_catalog

CORP_ID = "ww-corp-0001"
SECRET = "S3CRET-do-not-leak-7f3a9c"
AS_OF = "2026-10-31"
RUN_ID = "run-20261031-01"

LABELS = {
    "welcome": ("新客欢迎", 1),
    "churn_recall": ("流失召回", 4),
    "replenishment_reminder": ("补货提醒", 5),
    "birthday_care": ("生日关怀", 9),
    "cross_sell": ("搭配推荐", 11),
}
ACTIONS = [
    # customer_id, action, status, channel, owner_userid, external_userid, subject
    ("c01", "welcome", "issued", "wecom", "zhangsan", "wmA", None),
    ("c02", "welcome", "issued", "wecom", "zhangsan", "wmB", None),
    ("c03", "welcome", "issued", "wecom", "lisi", "wmC", None),
    ("c04", "churn_recall", "issued", "wecom", "zhangsan", "wmD", "high"),
    ("c05", "churn_recall", "issued", "wecom", "lisi", "wmE", "medium"),
    ("c06", "replenishment_reminder", "issued", "wecom", "lisi", "wmF", "面霜"),
    ("c07", "welcome", "issued", "miniprogram", None, None, None),
    ("c08", "welcome", "issued", "miniprogram", None, None, None),
    ("c09", "cross_sell", "issued", "miniprogram", None, None, None),
    ("c10", "welcome", "control", "wecom", "zhangsan", "wmG", None),
    ("c01", "cross_sell", "deferred", "wecom", "zhangsan", "wmA", None),
    ("c12", "welcome", "suppressed", "wecom", "lisi", "wmI", None),
    ("c13", "welcome", "unreachable", "none", None, None, None),
    ("c15", "birthday_care", "control", "miniprogram", None, None, None),
    ("c16", "churn_recall", "deferred", "miniprogram", None, None, "high"),
]
"""Six issued WeCom rows (five tasks of two staff), three issued mini-program rows, and one
row of every other status, on both channels."""
OPENIDS = {
    "c07": ["oB-c07", "oA-c07"],
    "c08": ["oC-c08"],
    "c09": [None, "oD-c09"],
    "c15": ["oE-c15"],
    "c16": ["oF-c16"],
}
TASKS = {
    ("lisi", "churn_recall"): ["wmE"],
    ("lisi", "replenishment_reminder"): ["wmF"],
    ("lisi", "welcome"): ["wmC"],
    ("zhangsan", "churn_recall"): ["wmD"],
    ("zhangsan", "welcome"): ["wmA", "wmB"],
}
"""The add_msg_template tasks the issued WeCom rows make: (sender, action) -> customers."""
TEXT = {action: entry.message for action, entry in read_catalog(ACTION_CATALOG).items()}


def publish(
    warehouse: Path, actions=ACTIONS, openids=OPENIDS, run_id: str = RUN_ID
) -> None:
    """Write published.duckdb and published/_manifest.json as the nightly run would."""
    (warehouse / "published").mkdir(parents=True, exist_ok=True)
    database = warehouse / "published.duckdb"
    database.unlink(missing_ok=True)
    customers = sorted({row[0] for row in actions} | set(openids))
    with duckdb.connect(str(database)) as conn:
        conn.execute(
            "create table customer_actions (customer_id varchar, action varchar, "
            "action_zh varchar, subject varchar, priority integer, status varchar, "
            "channel varchar, owner_userid varchar, external_userid varchar, as_of_date date)"
        )
        conn.executemany(
            "insert into customer_actions values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (c, a, LABELS[a][0], subject, LABELS[a][1], status, channel, owner, ext, AS_OF)
                for c, a, status, channel, owner, ext, subject in actions
            ],
        )
        conn.execute("create table customer_profile (customer_id varchar, openids varchar[])")
        conn.executemany(
            "insert into customer_profile values (?, ?)",
            [(customer, openids.get(customer, [])) for customer in customers],
        )
    manifest = {
        "run_id": run_id,
        "as_of_date": AS_OF,
        "published_at": "2026-11-01T02:10:00+08:00",
        "tables": {
            "customer_actions": {"rows": len(actions), "sha256": "0" * 64, "file": "a.parquet"},
            "customer_profile": {"rows": len(customers), "sha256": "0" * 64, "file": "p.parquet"},
        },
        "gate": {"verdict": "passed"},
    }
    (warehouse / "published" / "_manifest.json").write_text(json.dumps(manifest), "utf-8")


@pytest.fixture
def fake() -> Iterator[FakeWecom]:
    wecom = FakeWecom(corp_id=CORP_ID, secret=SECRET)
    with wecom.serve():
        yield wecom


@pytest.fixture
def warehouse(tmp_path: Path, fake: FakeWecom, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = point_cdp_at(fake, tmp_path, monkeypatch)
    monkeypatch.setattr(push, "BACKOFF_S", 0.001)
    publish(path)
    return path


def push_actions(*argv: str) -> int:
    """`cdp push-actions ARGV`."""
    return run_command(push_actions_command.add_parser, "push-actions", *argv)


def push_folder(warehouse: Path) -> Path:
    return warehouse / PUSH_DIR / AS_OF


def ledger_entries(warehouse: Path) -> list[dict]:
    path = push_folder(warehouse) / LEDGER_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def tasks_sent(fake: FakeWecom) -> dict[tuple[str, str], list[str]]:
    """(sender, action) -> customers of every task the fake created, the action told by its
    text."""
    action_of = {text: action for action, text in TEXT.items()}
    tasks: dict[tuple[str, str], list[str]] = {}
    for task in fake.msg_templates:
        tasks.setdefault((task.sender, action_of[task.content]), []).extend(task.external_userids)
    return tasks


def written_files(warehouse: Path) -> str:
    """Every file the push wrote (ledger, call log, CSVs), as one text."""
    return "\n".join(
        path.read_text("utf-8")
        for folder in (warehouse / PUSH_DIR, warehouse / "actions")
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    )


def assert_nothing_leaked(fake: FakeWecom, *texts: str) -> None:
    assert fake.issued_tokens
    for text in texts:
        assert SECRET not in text
        for token in fake.issued_tokens:
            assert token not in text


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_dry_run_prints_the_plan_and_sends_and_writes_nothing(warehouse, fake, capsys):
    assert push_actions() == 0
    out = capsys.readouterr().out
    assert f"publish {RUN_ID} as of {AS_OF}" in out
    assert (
        "customer_actions: 15 rows (control 2, deferred 2, issued 9, suppressed 1, unreachable 1)"
        in out
    )
    assert "issued by channel: miniprogram 3, wecom 6" in out
    assert "plan: 5 WeCom tasks (6 customers of 2 staff), 5 calls to make for 6 customers" in out
    assert "2 mini-program files (3 customers)" in out
    assert f"  zhangsan welcome 新客欢迎: 2 customers, 1 call | {TEXT['welcome']}\n" in out
    assert "  lisi replenishment_reminder 补货提醒: 1 customer, 1 call | " in out
    assert out.index("  lisi churn_recall") < out.index("  zhangsan churn_recall")
    assert "  welcome 新客欢迎: 2 customers | " in out
    assert "  cross_sell 搭配推荐: 1 customer | " in out
    assert "dry run: nothing sent, no file written" in out
    assert fake.requests == []
    assert not (warehouse / PUSH_DIR).exists() and not (warehouse / "actions").exists()
    assert SECRET not in out


def test_a_publish_without_its_database_gives_the_same_plan(warehouse, fake, capsys):
    """CDP_PUBLISH_DATABASE=no: the plan read from the Parquet files."""
    from_database = load_push_plan(warehouse)
    assert push_actions() == 0
    printed = capsys.readouterr().out
    without_database(warehouse)
    assert load_push_plan(warehouse) == from_database
    assert push_actions() == 0
    assert capsys.readouterr().out == printed
    assert fake.requests == []


def test_apply_sends_one_task_per_staff_and_action_and_writes_the_files(warehouse, fake, capsys):
    assert push_actions("--apply") == 0
    out = capsys.readouterr().out
    bodies = [r.body for r in fake.calls(ADD_MSG_TEMPLATE)]
    assert len(bodies) == 5
    assert all(set(body) == {"chat_type", "sender", "external_userid", "text"} for body in bodies)
    assert all(body["chat_type"] == "single" for body in bodies)
    assert tasks_sent(fake) == TASKS
    for task in fake.msg_templates:
        assert task.content in TEXT.values()
    assert {(t.sender, t.content) for t in fake.msg_templates} >= {
        ("zhangsan", TEXT["welcome"]),
        ("lisi", TEXT["replenishment_reminder"]),
    }
    received = [external_userid for _, external_userid, _ in fake.received()]
    assert sorted(received) == ["wmA", "wmB", "wmC", "wmD", "wmE", "wmF"]
    assert len(fake.calls(GETTOKEN)) == 1
    assert "5 calls sent to 6 customers, 0 customers WeCom could not send to" in out
    assert "0 calls failed, 0 uncertain, 0 not attempted" in out
    assert f"{len(fake.requests)} WeCom calls" in out

    folder = warehouse / "actions" / AS_OF
    assert sorted(p.name for p in folder.iterdir()) == [
        "miniprogram_cross_sell.csv",
        "miniprogram_welcome.csv",
    ]
    header = ["customer_id", "openid", "action", "action_zh", "message"]
    assert read_csv(folder / "miniprogram_welcome.csv") == [
        header,
        ["c07", "oA-c07", "welcome", "新客欢迎", TEXT["welcome"]],
        ["c08", "oC-c08", "welcome", "新客欢迎", TEXT["welcome"]],
    ]
    assert read_csv(folder / "miniprogram_cross_sell.csv") == [
        header,
        ["c09", "oD-c09", "cross_sell", "搭配推荐", TEXT["cross_sell"]],
    ]
    assert (folder / "miniprogram_cross_sell.csv").read_bytes().startswith(b"customer_id,")
    assert f"wrote {folder / 'miniprogram_welcome.csv'} (2 customers)" in out

    entries = ledger_entries(warehouse)
    assert len(entries) == 5 and {e["status"] for e in entries} == {"sent"}
    assert {e["as_of_date"] for e in entries} == {AS_OF} and {e["run_id"] for e in entries} == {
        RUN_ID
    }
    assert all(e["msgid"].startswith("msgFAKE") for e in entries)
    log = (push_folder(warehouse) / CALL_LOG_FILE).read_text("utf-8")
    assert len(log.splitlines()) == len(fake.requests)
    assert_nothing_leaked(fake, out, written_files(warehouse))


def test_a_second_apply_sends_nothing(warehouse, fake, capsys):
    assert push_actions("--apply") == 0
    fake.clear_requests()
    assert push_actions("--apply") == 0
    out = capsys.readouterr().out
    assert fake.requests == []
    assert "nothing to send to WeCom" in out
    assert len(fake.msg_templates) == 5
    assert push_actions() == 0
    out = capsys.readouterr().out
    assert "0 calls to make for 0 customers (6 already sent, 0 uncertain)" in out


def test_only_issued_rows_are_pushed(warehouse, fake, capsys):
    assert push_actions("--apply") == 0
    received = {external_userid for _, external_userid, _ in fake.received()}
    assert not received & {"wmG", "wmI"}  # control, suppressed
    assert ("zhangsan", "cross_sell") not in tasks_sent(fake)  # deferred
    files = "".join(p.read_text("utf-8") for p in (warehouse / "actions").rglob("*.csv"))
    assert "c13" not in files and "c15" not in files and "c16" not in files


def test_a_long_list_is_split_at_the_limit(warehouse, fake, capsys, monkeypatch):
    many = [
        (f"c{n:03}", "welcome", "issued", "wecom", "wangwu", f"wm{n:03}", None) for n in range(7)
    ]
    publish(warehouse, [*ACTIONS, *many])
    monkeypatch.setattr(push, "MAX_EXTERNAL_USERIDS", 3)
    fake.max_external_userids = 3
    assert push_actions() == 0
    assert "  wangwu welcome 新客欢迎: 7 customers, 3 calls" in capsys.readouterr().out
    assert push_actions("--apply") == 0
    bodies = [r.body for r in fake.calls(ADD_MSG_TEMPLATE)]
    wangwu = [body["external_userid"] for body in bodies if body["sender"] == "wangwu"]
    assert wangwu == [["wm000", "wm001", "wm002"], ["wm003", "wm004", "wm005"], ["wm006"]]
    entries = ledger_entries(warehouse)
    chunks = [(e["chunk"], e["chunks"]) for e in entries if e["sender"] == "wangwu"]
    assert chunks == [(1, 3), (2, 3), (3, 3)]
    assert tasks_sent(fake)[("zhangsan", "welcome")] == ["wmA", "wmB"]


def test_a_failure_half_way_then_a_rerun_sends_only_the_rest(warehouse, fake, capsys):
    fake.fail_add_msg_template_after(2)
    assert push_actions("--apply") == 1
    out = capsys.readouterr().out
    assert out.count("failed: ") == 3 and "errcode 41048" in out
    assert "2 calls sent to 2 customers" in out and "3 calls failed" in out
    assert "run `cdp push-actions --apply` again" in out
    first = {(sender, ext) for sender, ext, _ in fake.received()}
    assert len(first) == 2 and len(ledger_entries(warehouse)) == 2

    fake.clear_failures()
    fake.clear_requests()
    assert push_actions("--apply") == 0
    out = capsys.readouterr().out
    assert "3 calls sent to 4 customers" in out and "2 customers skipped as already sent" in out
    bodies = [r.body for r in fake.calls(ADD_MSG_TEMPLATE)]
    second = [(body["sender"], ext) for body in bodies for ext in body["external_userid"]]
    assert not set(second) & first
    assert tasks_sent(fake) == TASKS
    assert Counter(ext for _, ext, _ in fake.received()).most_common(1)[0][1] == 1


def test_wecom_failing_stops_the_run_and_a_rerun_sends_the_rest(warehouse, fake, capsys):
    fake.fail_next(1, -1, endpoint=ADD_MSG_TEMPLATE)
    fake.http_error_next(1, 429, endpoint=ADD_MSG_TEMPLATE)
    fake.fail_next(1, 45009, endpoint=ADD_MSG_TEMPLATE)
    assert push_actions("--apply") == 0  # retried: WeCom said it did nothing
    assert tasks_sent(fake) == TASKS and len(fake.msg_templates) == 5
    log = (push_folder(warehouse) / CALL_LOG_FILE).read_text("utf-8")
    assert max(json.loads(line)["attempt"] for line in log.splitlines()) == 4
    capsys.readouterr()

    publish(warehouse, [*ACTIONS, ("c20", "welcome", "issued", "wecom", "wangwu", "wmZ", None)])
    fake.fail_next(100, -1, endpoint=ADD_MSG_TEMPLATE)
    assert push_actions("--apply") == 1
    out = capsys.readouterr().out
    assert "stopping" in out and "retries exhausted" in out
    assert len(fake.msg_templates) == 5
    fake.clear_failures()
    assert push_actions("--apply") == 0
    assert tasks_sent(fake)[("wangwu", "welcome")] == ["wmZ"] and len(fake.msg_templates) == 6


def test_a_lost_answer_is_not_sent_again_unless_asked(warehouse, fake, capsys):
    fake.lose_answer_next(1, 502, endpoint=ADD_MSG_TEMPLATE)
    assert push_actions("--apply") == 1
    out = capsys.readouterr().out
    assert "uncertain" in out and "WeCom may have carried it out" in out
    assert "1 uncertain, 4 not attempted" in out
    assert len(fake.calls(ADD_MSG_TEMPLATE)) == 1 and len(fake.msg_templates) == 1
    [entry] = ledger_entries(warehouse)
    assert entry["status"] == "uncertain" and entry["sender"] == "lisi"

    assert push_actions("--apply") == 0
    out = capsys.readouterr().out
    assert "1 customer in calls an earlier run could not confirm" in out
    assert tasks_sent(fake) == TASKS  # the lost one was created once, by the first run

    assert push_actions("--apply", "--resend-uncertain") == 0
    assert len(fake.msg_templates) == 6  # what --resend-uncertain risks, and why it asks
    assert push_actions("--apply", "--resend-uncertain") == 0
    assert len(fake.msg_templates) == 6


def test_customers_wecom_refuses_are_reported_and_not_sent_again(warehouse, fake, capsys):
    fake.refuse_recipients("wmB")
    assert push_actions("--apply") == 1
    out = capsys.readouterr().out
    assert "WeCom could not send to wmB (zhangsan welcome)" in out
    assert "5 calls sent to 5 customers, 1 customer WeCom could not send to" in out
    assert [e["fail_list"] for e in ledger_entries(warehouse) if e["fail_list"]] == [["wmB"]]
    fake.clear_requests()
    assert push_actions("--apply") == 0
    assert fake.requests == []


def test_an_expired_token_is_fetched_again_without_a_duplicate(warehouse, fake, capsys):
    fake.expire_tokens(after_calls=2)
    assert push_actions("--apply") == 0
    assert len(fake.calls(GETTOKEN)) == 2
    assert tasks_sent(fake) == TASKS and len(fake.msg_templates) == 5
    assert_nothing_leaked(fake, capsys.readouterr().out, written_files(warehouse))


def test_a_new_publish_of_the_same_date_sends_only_new_customers(warehouse, fake, capsys):
    assert push_actions("--apply") == 0
    moved = [row if row[0] != "c02" else (*row[:4], "lisi", *row[5:]) for row in ACTIONS]
    new = ("c21", "welcome", "issued", "wecom", "lisi", "wmY", None)
    publish(warehouse, [*moved, new], run_id="run-2")
    fake.clear_requests()
    assert push_actions("--apply") == 0
    bodies = [r.body for r in fake.calls(ADD_MSG_TEMPLATE)]
    assert [(b["sender"], b["external_userid"]) for b in bodies] == [("lisi", ["wmY"])]
    assert {e["run_id"] for e in ledger_entries(warehouse)} == {RUN_ID, "run-2"}


def test_files_of_actions_gone_from_the_publish_are_removed(warehouse, fake, capsys):
    assert push_actions("--apply") == 0
    publish(warehouse, [row for row in ACTIONS if row[0] != "c09"], run_id="run-2")
    assert push_actions("--apply") == 0
    folder = warehouse / "actions" / AS_OF
    assert [p.name for p in folder.iterdir()] == ["miniprogram_welcome.csv"]
    assert "removed" in capsys.readouterr().out


def test_a_disabled_action_is_left_out(warehouse, fake, capsys, tmp_path):
    catalog = tmp_path / "catalog.csv"
    text = ACTION_CATALOG.read_text("utf-8").splitlines()
    disabled = [
        line.replace(",true,", ",false,") if line.startswith("welcome,") else line
        for line in text
    ]
    catalog.write_text("\n".join(disabled) + "\n", "utf-8")
    code = push.push_actions(Settings.from_env(), apply=True, say=print, catalog=catalog)
    assert code == 0
    out = capsys.readouterr().out
    assert "left out: 5 issued welcome (disabled in the action catalog)" in out
    assert set(tasks_sent(fake)) == {k for k in TASKS if k[1] != "welcome"}
    assert [p.name for p in (warehouse / "actions" / AS_OF).iterdir()] == [
        "miniprogram_cross_sell.csv"
    ]


def test_an_action_missing_from_the_catalog_exits_2(warehouse, fake, capsys, tmp_path):
    catalog = tmp_path / "catalog.csv"
    lines = ACTION_CATALOG.read_text("utf-8").splitlines()
    catalog.write_text("\n".join(x for x in lines if not x.startswith("welcome,")), "utf-8")
    with pytest.raises(SettingsError, match="'welcome', which the action catalog"):
        push.push_actions(Settings.from_env(), apply=True, say=print, catalog=catalog)
    assert fake.requests == [] and not (warehouse / "actions").exists()


def test_missing_secret_with_apply_exits_2_and_writes_nothing(warehouse, fake, capsys, monkeypatch):
    monkeypatch.setenv("CDP_WECOM_SECRET", "")
    assert push_actions("--apply") == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "cdp push-actions: CDP_WECOM_SECRET must be set for --apply"
    ]
    assert fake.requests == [] and not (warehouse / "actions").exists()


def test_a_wrong_secret_exits_2_without_leaking_it(warehouse, fake, capsys, monkeypatch):
    monkeypatch.setenv("CDP_WECOM_SECRET", "wrong-" + SECRET)
    assert push_actions("--apply") == 2
    captured = capsys.readouterr()
    assert "errcode 40001" in captured.err and len(captured.err.strip().splitlines()) == 1
    files = written_files(warehouse)
    assert "wrong-" not in captured.out + captured.err + files
    assert SECRET not in captured.out + captured.err + files
    assert fake.msg_templates == [] and ledger_entries(warehouse) == []


def test_no_publish_yet_exits_2(tmp_path, fake, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CDP_WAREHOUSE_DIR", str(tmp_path / "empty"))
    assert push_actions() == 2
    assert "run `cdp run` first" in capsys.readouterr().err


def test_an_inconsistent_publish_exits_2(warehouse, fake, capsys):
    publish(warehouse, [*ACTIONS, ("c30", "welcome", "issued", "miniprogram", None, None, None)])
    assert push_actions() == 2
    assert "customer c30 has an issued miniprogram action welcome but no openid" in (
        capsys.readouterr().err
    )


def test_the_client_retries_only_what_cannot_have_reached_wecom(tmp_path):
    """Connection refused (nothing sent) is retried; the call log has every attempt."""
    other = FakeWecom(corp_id=CORP_ID, secret=SECRET)
    with other.serve():
        settings = WecomSettings(CORP_ID, SECRET, other.url, "CDP-", calls_per_second=1000)
        client = WecomClient(settings, tmp_path / "calls.jsonl", sleep=lambda s: None, attempts=3)
        assert client.add_msg_template("zhangsan", ["wmA"], "你好")["msgid"]
    with pytest.raises(WecomError) as refused:
        client.add_msg_template("zhangsan", ["wmB"], "你好")
    assert refused.value.transient and not refused.value.uncertain
    attempts = [json.loads(line)["attempt"] for line in (tmp_path / "calls.jsonl").open()]
    assert attempts == [1, 1, 1, 2, 3]
    assert_nothing_leaked(other, (tmp_path / "calls.jsonl").read_text("utf-8"))


def test_cli_dry_run_then_apply_then_nothing(warehouse, fake, capsys):
    from orchestration.cli.main import main

    assert main(["push-actions"]) == 0
    assert fake.requests == []
    assert main(["push-actions", "--apply"]) == 0
    assert tasks_sent(fake) == TASKS
    fake.clear_requests()
    assert main(["push-actions", "--apply"]) == 0
    assert fake.requests == []
    out = capsys.readouterr().out
    assert "cdp push-actions: finished in" in out
    assert_nothing_leaked(fake, out, written_files(warehouse))


def test_cli_missing_secret_exits_2(warehouse, fake, capsys, monkeypatch):
    from orchestration.cli.main import main

    monkeypatch.delenv("CDP_WECOM_SECRET")
    assert main(["push-actions", "--apply"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "cdp push-actions: CDP_WECOM_SECRET must be set for --apply"
    ]


def test_an_odd_secret_leaks_in_no_encoding_into_the_ledger_or_the_log(
    tmp_path, capsys, monkeypatch
):
    """Issue 27, defect 8: answers that quote the request (query included) and a secret that
    URL encoding changes: neither the secret nor a token in any form in what the push writes."""
    from test_wecom_sync import ODD_SECRET, EchoingWecom, assert_no_form_of_the_secret

    fake = EchoingWecom(corp_id=CORP_ID, secret=ODD_SECRET)
    with fake.serve():
        warehouse = point_cdp_at(fake, tmp_path, monkeypatch)
        monkeypatch.setattr(push, "BACKOFF_S", 0.001)
        publish(warehouse)
        fake.fail_next(1, -1, endpoint=GETTOKEN)
        fake.fail_add_msg_template_after(2)
        assert push_actions("--apply") == 1
    captured = capsys.readouterr()
    assert "access_token=***" in captured.out
    assert_no_form_of_the_secret(fake, captured.out, captured.err, written_files(warehouse))
