"""`cdp sync-wecom` against a fake WeCom API (tests/fake_wecom.py) and a real published.duckdb."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fake_wecom import (
    ADD_CORP_TAG,
    GET_CORP_TAG_LIST,
    GETTOKEN,
    MARK_TAG,
    FakeWecom,
    point_cdp_at,
    run_command,
    without_database,
)

from cdp.settings import WecomSettings
from cdp.wecom import sync
from cdp.wecom.plan import load_plan
from orchestration.cli import sync_wecom as sync_wecom_command
from cdp.wecom.api import WecomClient, WecomError
from cdp.wecom.ledger import CALL_LOG_FILE, LEDGER_FILE, run_dir

CORP_ID = "ww-corp-0001"
SECRET = "S3CRET-do-not-leak-7f3a9c"
AS_OF = "2026-10-31"

INITIAL = {
    ("zhangsan", "wmA"): {"CDP-lifecycle/新客期", "客户等级/VIP"},
    ("zhangsan", "wmB"): set(),
    ("lisi", "wmC"): {"客户等级/VIP"},
    ("lisi", "wmD"): {"CDP-lifecycle/新客期"},
    ("wangwu", "wmE"): set(),
    ("wangwu", "wmF"): {"CDP-lifecycle/新客期"},
}
"""The tags each relationship carries in WeCom before the sync (客户等级 is not the CDP's)."""

ROWS = [
    ("zhangsan", "wmA", "c1", ["CDP-lifecycle/成长期"], ["CDP-lifecycle/新客期"]),
    ("zhangsan", "wmB", "c2", ["CDP-lifecycle/成长期", "CDP-value/高价值"], []),
    ("lisi", "wmC", "c3", [], ["CDP-churn/高风险"]),
    ("lisi", "wmD", "c4", ["CDP-lifecycle/沉睡期"], ["CDP-lifecycle/新客期"]),
    ("wangwu", "wmE", "c5", ["CDP-value/高价值"], []),
    ("wangwu", "wmF", "c6", ["CDP-value/高价值"], ["CDP-lifecycle/新客期"]),
]
"""wecom_tag_sync: lisi -> wmC only removes a tag WeCom does not have (nothing to send)."""


def expected_state() -> dict[tuple[str, str], set[str]]:
    state = {key: set(tags) for key, tags in INITIAL.items()}
    for userid, external_userid, _, add, remove in ROWS:
        key = (userid, external_userid)
        state[key] = (state[key] - set(remove)) | set(add)
    return state


def publish(warehouse: Path, rows=ROWS, run_id: str = "run-20261031-01") -> None:
    """Write published.duckdb and published/_manifest.json as the nightly run would."""
    (warehouse / "published").mkdir(parents=True, exist_ok=True)
    database = warehouse / "published.duckdb"
    database.unlink(missing_ok=True)
    with duckdb.connect(str(database)) as conn:
        conn.execute(
            "create table wecom_tag_sync (userid varchar, external_userid varchar, "
            "customer_id varchar, add_tags varchar[], remove_tags varchar[], as_of_date date)"
        )
        conn.executemany(
            "insert into wecom_tag_sync values (?, ?, ?, ?, ?, ?)",
            [(*row, AS_OF) for row in rows],
        )
    manifest = {
        "run_id": run_id,
        "as_of_date": AS_OF,
        "published_at": "2026-11-01T02:10:00+08:00",
        "tables": {"wecom_tag_sync": {"rows": len(rows), "sha256": "0" * 64, "file": "x.parquet"}},
        "gate": {"verdict": "passed"},
    }
    (warehouse / "published" / "_manifest.json").write_text(json.dumps(manifest), "utf-8")


@pytest.fixture
def fake() -> Iterator[FakeWecom]:
    wecom = FakeWecom(corp_id=CORP_ID, secret=SECRET)
    for (userid, external_userid), tags in INITIAL.items():
        wecom.add_relationship(userid, external_userid, sorted(tags))
    with wecom.serve():
        wecom.clear_requests()
        yield wecom


@pytest.fixture
def warehouse(tmp_path: Path, fake: FakeWecom, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = point_cdp_at(fake, tmp_path, monkeypatch)
    monkeypatch.delenv("CDP_WECOM_TAG_PREFIX", raising=False)
    monkeypatch.setattr(sync, "BACKOFF_S", 0.001)
    publish(path)
    return path


def sync_wecom(*argv: str) -> int:
    """`cdp sync-wecom ARGV`."""
    return run_command(sync_wecom_command.add_parser, "sync-wecom", *argv)


def call_log(warehouse: Path) -> str:
    path = run_dir(warehouse, "run-20261031-01") / CALL_LOG_FILE
    return path.read_text("utf-8") if path.exists() else ""


def assert_nothing_leaked(fake: FakeWecom, *texts: str) -> None:
    for text in texts:
        assert SECRET not in text
        for token in fake.issued_tokens:
            assert token not in text


def test_dry_run_prints_the_plan_and_sends_nothing(warehouse, fake, capsys):
    assert sync_wecom() == 0
    out = capsys.readouterr().out
    assert "publish run-20261031-01 as of 2026-10-31" in out
    assert "6 relationships to update, 6 tags to add, 4 to remove" in out
    assert "2 groups, 3 tags" in out
    assert "CDP-lifecycle: 成长期, 沉睡期" in out
    assert "zhangsan -> wmA: +CDP-lifecycle/成长期 -CDP-lifecycle/新客期" in out
    assert "lisi -> wmC: -CDP-churn/高风险" in out
    assert fake.requests == []
    assert not (warehouse / "wecom_sync").exists()
    assert_nothing_leaked(fake, out)


def test_a_publish_without_its_database_gives_the_same_plan(warehouse, fake, capsys):
    """CDP_PUBLISH_DATABASE=no: the plan read from the Parquet files."""
    from_database = load_plan(warehouse, "CDP-")
    assert sync_wecom() == 0
    printed = capsys.readouterr().out
    without_database(warehouse)
    assert load_plan(warehouse, "CDP-") == from_database
    assert sync_wecom() == 0
    assert capsys.readouterr().out == printed
    assert fake.requests == []


def test_dry_run_shows_the_first_20_relationships(warehouse, fake, capsys):
    rows = [(f"staff{i:02}", f"wm{i:02}", f"c{i}", ["CDP-value/高价值"], []) for i in range(25)]
    publish(warehouse, rows)
    assert sync_wecom() == 0
    out = capsys.readouterr().out
    assert "staff19 -> wm19: +CDP-value/高价值" in out and "staff20 ->" not in out
    assert "... and 5 more" in out


def test_apply_makes_wecom_match_then_a_second_apply_sends_nothing(
    warehouse, fake, capsys, monkeypatch
):
    monkeypatch.setattr(sync, "PROGRESS_EVERY", 3)
    assert sync_wecom("--apply") == 0
    out = capsys.readouterr().out
    assert "  3/6 relationships" in out and "  6/6 relationships" in out
    assert fake.state() == expected_state()
    assert {"CDP-value/高价值", "CDP-lifecycle/沉睡期", "客户等级/VIP"} <= fake.tag_names()
    assert "CDP-churn/高风险" not in fake.tag_names()
    created = [r.body for r in fake.calls(ADD_CORP_TAG)]
    assert {"group_name": "CDP-value", "order": 0, "tag": [{"name": "高价值", "order": 0}]} in created
    assert any(body.get("group_id") for body in created)
    assert len(fake.calls(MARK_TAG)) == 5
    assert len(fake.calls(GETTOKEN)) == 1
    assert "5 relationships updated, 1 with nothing to send, 0 skipped" in out
    assert f"{len(fake.requests)} WeCom calls" in out
    assert "call log:" in out
    ledger = run_dir(warehouse, "run-20261031-01") / LEDGER_FILE
    entries = [json.loads(line) for line in ledger.read_text("utf-8").splitlines()]
    assert len(entries) == 6 and {e["run_id"] for e in entries} == {"run-20261031-01"}
    log = call_log(warehouse)
    assert len(log.splitlines()) == len(fake.requests)
    assert_nothing_leaked(fake, out, log, ledger.read_text("utf-8"))

    fake.clear_requests()
    assert sync_wecom("--apply") == 0
    assert fake.requests == []
    assert "already applied" in capsys.readouterr().out


def test_a_new_publish_starts_fresh(warehouse, fake, capsys):
    assert sync_wecom("--apply") == 0
    publish(warehouse, [("zhangsan", "wmB", "c2", ["CDP-lifecycle/沉睡期"], [])], "run-2")
    fake.clear_requests()
    assert sync_wecom("--apply") == 0
    assert [r.body for r in fake.calls(MARK_TAG)][0]["userid"] == "zhangsan"
    assert "CDP-lifecycle/沉睡期" in fake.state()[("zhangsan", "wmB")]


def test_transient_errors_are_retried(warehouse, fake, capsys):
    fake.fail_next(2, -1, endpoint=MARK_TAG)
    fake.fail_next(1, 45009, endpoint=ADD_CORP_TAG)
    fake.http_error_next(1, 503, endpoint=GET_CORP_TAG_LIST)
    fake.fail_next(1, 45033, endpoint=GETTOKEN)
    assert sync_wecom("--apply") == 0
    out = capsys.readouterr().out
    assert fake.state() == expected_state()
    entries = [json.loads(line) for line in call_log(warehouse).splitlines()]
    assert {e["errcode"] for e in entries} >= {-1, 45009, 45033, 0}
    assert any(e["http_status"] == 503 for e in entries)
    assert max(e["attempt"] for e in entries) == 3
    assert_nothing_leaked(fake, out, call_log(warehouse))


def test_retries_run_out_and_the_rest_is_left_for_a_re_run(warehouse, fake, capsys):
    fake.fail_next(100, -1, endpoint=MARK_TAG)
    assert sync_wecom("--apply") == 1
    out = capsys.readouterr().out
    assert "stopping" in out and "retries exhausted" in out
    assert len(fake.calls(MARK_TAG)) == sync.ATTEMPTS
    fake.clear_failures()
    assert sync_wecom("--apply") == 0
    assert fake.state() == expected_state()


def test_an_expired_token_is_fetched_again(warehouse, fake, capsys):
    fake.expire_tokens(after_calls=3)
    assert sync_wecom("--apply") == 0
    assert fake.state() == expected_state()
    assert len(fake.calls(GETTOKEN)) == 2
    codes = [json.loads(line)["errcode"] for line in call_log(warehouse).splitlines()]
    assert codes.count(42001) == 1
    assert_nothing_leaked(fake, capsys.readouterr().out, call_log(warehouse))


def test_a_failure_half_way_exits_1_and_a_re_run_finishes_the_rest(warehouse, fake, capsys):
    fake.fail_mark_tag_after(2)
    assert sync_wecom("--apply") == 1
    out = capsys.readouterr().out
    assert out.count("failed: ") == 3
    assert "errcode 48002" in out
    assert "2 relationships updated, 1 with nothing to send, 0 skipped" in out
    assert "3 failed, 0 not attempted" in out
    first = [(r.body["userid"], r.body["external_userid"]) for r in fake.calls(MARK_TAG)]
    done_first = first[:2]

    fake.clear_failures()
    fake.clear_requests()
    assert sync_wecom("--apply") == 0
    out = capsys.readouterr().out
    second = [(r.body["userid"], r.body["external_userid"]) for r in fake.calls(MARK_TAG)]
    assert len(second) == 3 and not set(second) & set(done_first)
    assert "3 relationships updated, 0 with nothing to send, 3 skipped as already done" in out
    assert fake.state() == expected_state()


def test_a_relationship_wecom_does_not_know_fails_alone(warehouse, fake, capsys):
    publish(warehouse, [*ROWS, ("zhaoliu", "wmX", "c9", ["CDP-value/高价值"], [])])
    assert sync_wecom("--apply") == 1
    out = capsys.readouterr().out
    assert "failed: zhaoliu -> wmX: /cgi-bin/externalcontact/mark_tag: errcode 84061" in out
    assert fake.state() == expected_state()


def test_missing_secret_with_apply_exits_2_with_one_line(warehouse, fake, capsys, monkeypatch):
    monkeypatch.setenv("CDP_WECOM_SECRET", "")
    assert sync_wecom("--apply") == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [
        "cdp sync-wecom: CDP_WECOM_SECRET must be set for --apply"
    ]
    assert fake.requests == []


def test_a_wrong_secret_exits_2_without_leaking_it(warehouse, fake, capsys, monkeypatch):
    monkeypatch.setenv("CDP_WECOM_SECRET", "wrong-" + SECRET)
    assert sync_wecom("--apply") == 2
    captured = capsys.readouterr()
    assert "errcode 40001" in captured.err and len(captured.err.strip().splitlines()) == 1
    assert "wrong-" not in captured.out + captured.err + call_log(warehouse)
    assert_nothing_leaked(fake, captured.out, captured.err, call_log(warehouse))


def test_no_publish_yet_exits_2(tmp_path, fake, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CDP_WAREHOUSE_DIR", str(tmp_path / "empty"))
    assert sync_wecom() == 2
    assert "run `cdp run` first" in capsys.readouterr().err


def test_a_tag_outside_the_prefix_is_refused(warehouse, fake, capsys):
    publish(warehouse, [("zhangsan", "wmA", "c1", ["客户等级/VIP"], [])])
    assert sync_wecom("--apply") == 2
    assert "CDP_WECOM_TAG_PREFIX" in capsys.readouterr().err
    assert fake.requests == []


def test_the_client_refreshes_the_token_before_it_expires_and_keeps_the_rate(tmp_path, fake):
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    settings = WecomSettings(CORP_ID, SECRET, fake.url, "CDP-", calls_per_second=4)
    client = WecomClient(settings, tmp_path / "calls.jsonl", sleep=sleep, clock=lambda: now[0])
    client.get_corp_tag_list()
    client.get_corp_tag_list()
    assert sleeps == [0.25, 0.25]
    now[0] += 7200 - 301
    client.get_corp_tag_list()
    assert len(fake.calls(GETTOKEN)) == 1
    now[0] += 2
    client.get_corp_tag_list()
    assert len(fake.calls(GETTOKEN)) == 2
    fake.revoke_tokens()
    client.get_corp_tag_list()
    assert len(fake.calls(GETTOKEN)) == 3
    assert client.calls == len(fake.requests) == 9
    with pytest.raises(WecomError, match=r"^/cgi-bin/externalcontact/mark_tag: errcode 84061"):
        client.mark_tag("nobody", "wmZ", [], [fake.tag_id("CDP-lifecycle", "新客期")])
    assert_nothing_leaked(fake, (tmp_path / "calls.jsonl").read_text("utf-8"))


def test_cli_apply_then_nothing(warehouse, fake, capsys):
    """Through the `cdp` command line (orchestration/cli/main.py), which registers sync-wecom."""
    from orchestration.cli.main import main

    assert main(["sync-wecom", "--apply"]) == 0
    assert fake.state() == expected_state()
    fake.clear_requests()
    assert main(["sync-wecom", "--apply"]) == 0
    assert fake.requests == []
    assert_nothing_leaked(fake, capsys.readouterr().out)


def test_cli_missing_secret_exits_2(warehouse, fake, capsys, monkeypatch):
    """Through the `cdp` command line (orchestration/cli/main.py), which registers sync-wecom."""
    from orchestration.cli.main import main

    monkeypatch.delenv("CDP_WECOM_SECRET")
    assert main(["sync-wecom", "--apply"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "cdp sync-wecom: CDP_WECOM_SECRET must be set for --apply"
    ]


ODD_SECRET = "p@ss w+rd/=&?%SeCrEt"
"""A secret that URL encoding, JSON and repr() all change (issue 27, defect 8)."""


class EchoingWecom(FakeWecom):
    """The fake behind a gateway whose error answers quote the request line, query included
    (the secret URL-encoded in gettoken's, the token in the others')."""

    def handle(self, method: str, target: str, raw: bytes):
        status, answer = super().handle(method, target, raw)
        if answer and answer.get("errcode"):
            answer = {**answer, "errmsg": f"{answer['errmsg']} (request: {method} {target})"}
        return status, answer


def assert_no_form_of_the_secret(fake: FakeWecom, *texts: str) -> None:
    """Neither the secret nor a token in any form: raw, URL-encoded, JSON-escaped, repr()."""
    for text in texts:
        assert "SeCrEt" not in text  # every encoding keeps the letters
        assert "p%40ss" not in text and "p@ss" not in text
        assert re.findall(r"(?:corpsecret|access_token)=(?!\*\*\*)", text) == []
        for token in fake.issued_tokens:
            assert token not in text


def test_an_odd_secret_leaks_in_no_encoding_when_answers_quote_the_request(
    tmp_path, capsys, monkeypatch
):
    fake = EchoingWecom(corp_id=CORP_ID, secret=ODD_SECRET)
    for (userid, external_userid), tags in INITIAL.items():
        fake.add_relationship(userid, external_userid, sorted(tags))
    with fake.serve():
        warehouse = point_cdp_at(fake, tmp_path, monkeypatch)
        monkeypatch.setattr(sync, "BACKOFF_S", 0.001)
        publish(warehouse)
        fake.fail_next(1, -1, endpoint=GETTOKEN)  # retried: its answer quotes the secret
        fake.fail_mark_tag_after(2)  # refused: the answers quote the token
        assert sync_wecom("--apply") == 1
    captured = capsys.readouterr()
    log = call_log(warehouse)
    ledger = (run_dir(warehouse, "run-20261031-01") / LEDGER_FILE).read_text("utf-8")
    assert "corpsecret=***" in log and "access_token=***" in captured.out
    assert "errcode 48002" in captured.out
    assert_no_form_of_the_secret(fake, captured.out, captured.err, log, ledger)


def test_an_error_quoting_the_url_leaks_no_form_of_the_secret(tmp_path, fake):
    """http.client refuses a URL with a space and quotes the whole URL, query included."""
    settings = WecomSettings(CORP_ID, ODD_SECRET, fake.url + "/ x", "CDP-", calls_per_second=1000)
    client = WecomClient(settings, tmp_path / "calls.jsonl", sleep=lambda _s: None)
    with pytest.raises(WecomError) as raised:
        client.get_corp_tag_list()
    log = (tmp_path / "calls.jsonl").read_text("utf-8")
    assert "corpsecret=***" in str(raised.value)
    assert_no_form_of_the_secret(fake, str(raised.value), log)
    assert client.calls == 1  # an invalid URL is not retried: nothing was sent


def test_a_base_url_with_a_space_is_a_bad_setting(warehouse, fake, capsys, monkeypatch):
    monkeypatch.setenv("CDP_WECOM_BASE_URL", fake.url + "/ x")
    assert sync_wecom("--apply") == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        f"cdp sync-wecom: CDP_WECOM_BASE_URL: {fake.url + '/ x'!r} holds a space or a control "
        "character"
    ]
    assert fake.requests == []
