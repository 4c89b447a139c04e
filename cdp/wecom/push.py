"""`cdp push-actions`: send the published `issued` actions to the staff in WeCom and write the
mini-program's subscription-message files (playbook §17).

A dry run prints, per (staff member, action), the customers and the start of the text, and
per action the mini-program customers; it sends nothing and writes nothing. `--apply`:

1. writes `<warehouse>/actions/<as-of date>/miniprogram_<action>.csv` for each action with
   mini-program customers, each file replaced atomically, and removes the files of that
   folder no action of this publish has any more;
2. calls `externalcontact/add_msg_template` once per (staff member, action), the customers
   split into calls of at most MAX_EXTERNAL_USERIDS, recording each call in the push ledger
   of the as-of date (`<warehouse>/wecom_push/<as-of date>/ledger.jsonl`, cdp/wecom/ledger.py)
   before the next one. Customers the ledger holds for an action are not sent it again: a
   second `--apply` sends nothing, and one after a failure sends only the rest.

A call whose answer is lost after it may have reached WeCom (HTTP 5xx, a dropped connection)
is not retried: it is recorded as `uncertain` and not sent again unless `--resend-uncertain`
(look in WeCom's 群发记录 first: a task WeCom did create would reach the customers twice).

Exit codes: 0 done; 1 WeCom refused part (a call, some customers in a task's `fail_list`, an
uncertain call, or calls not attempted after WeCom kept failing; the rest was sent); 2 bad
settings, no publish yet or a publish or catalog the push cannot use (SettingsError).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cdp.settings import Settings, WecomSettings
from cdp.wecom.api import (
    ATTEMPTS,
    BACKOFF_S,
    WecomClient,
    WecomError,
    check_credentials,
    raise_if_credentials_refused,
)
from cdp.wecom.ledger import (
    CALL_LOG_FILE,
    LEDGER_FILE,
    SENT,
    UNCERTAIN,
    PushLedger,
    exclusive,
    push_dir,
)
from cdp.wecom.push_plan import (
    ACTION_CATALOG,
    MiniprogramRow,
    PushPlan,
    WecomTask,
    first_line,
    load_push_plan,
)

EXIT_OK = 0
EXIT_FAILED = 1
MAX_EXTERNAL_USERIDS = 10_000
"""WeCom's limit of customers per add_msg_template call; a longer list is split."""
ACTIONS_DIR = "actions"
"""`<warehouse>/actions/<as-of date>/`: the mini-program files of that date."""
CSV_PREFIX = "miniprogram_"
CSV_COLUMNS = ("customer_id", "openid", "action", "action_zh", "message")
PROGRESS_EVERY = 50
"""A progress line every this many calls."""
SHOWN = 20
"""Task lines of a dry run, and failure lines of an apply, printed at most."""
TEXT_SHOWN = 40
"""Characters of an action's text a plan line shows."""

Say = Callable[[str], None]


def _n(count: int, noun: str) -> str:
    """`1 customer`, `2 customers`."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Call:
    """One add_msg_template call: chunk `chunk` of `chunks` of a task's customers to send."""

    task: WecomTask
    chunk: int
    chunks: int
    external_userids: tuple[str, ...]

    def name(self) -> str:
        part = f" part {self.chunk}/{self.chunks}" if self.chunks > 1 else ""
        customers = _n(len(self.external_userids), "customer")
        return f"{self.task.sender} {self.task.action}{part} ({customers})"


@dataclass
class _Pending:
    """What is left to send after the ledger: the calls and the customers skipped."""

    calls: list[Call]
    sent_before: int = 0
    uncertain_before: int = 0


def actions_dir(warehouse_dir: Path, plan: PushPlan) -> Path:
    return warehouse_dir / ACTIONS_DIR / plan.publish.as_of_date.isoformat()


def push_actions(
    settings: Settings,
    *,
    apply: bool,
    say: Say,
    resend_uncertain: bool = False,
    catalog: Path = ACTION_CATALOG,
) -> int:
    """Print the plan (dry run) or carry it out; returns the exit code (see the module doc)."""
    wecom = settings.wecom
    if apply:
        check_credentials(wecom)
    plan = load_push_plan(settings.warehouse_dir, catalog)
    directory = push_dir(settings.warehouse_dir, plan.publish.as_of_date)
    files = actions_dir(settings.warehouse_dir, plan)
    ledger = PushLedger(directory / LEDGER_FILE, plan.publish.as_of_date)
    pending = _pending(plan, ledger, resend_uncertain)
    _say_plan(plan, pending, say)
    if not apply:
        _say_dry_run(plan, pending, wecom, files, say)
        return EXIT_OK
    with exclusive(directory, "cdp push-actions --apply"):
        _write_miniprogram_files(plan, files, say)
        ledger = PushLedger(directory / LEDGER_FILE, plan.publish.as_of_date)
        pending = _pending(plan, ledger, resend_uncertain)
        if not pending.calls:
            say("nothing to send to WeCom: every issued wecom action of this date is already sent")
            _say_uncertain_left(pending, say)
            return EXIT_OK
        client = WecomClient(
            wecom, directory / CALL_LOG_FILE, backoff_s=BACKOFF_S, attempts=ATTEMPTS
        )
        return _apply(plan, pending, ledger, client, say)


def _pending(plan: PushPlan, ledger: PushLedger, resend_uncertain: bool) -> _Pending:
    """The calls still to make: each task's customers the ledger does not hold for its
    action, split at MAX_EXTERNAL_USERIDS."""
    pending = _Pending([])
    for task in plan.tasks:
        left = []
        for external_userid in task.external_userids:
            key = (task.action, external_userid)
            if key in ledger.sent:
                pending.sent_before += 1
            elif key in ledger.uncertain and not resend_uncertain:
                pending.uncertain_before += 1
            else:
                left.append(external_userid)
        size = max(1, MAX_EXTERNAL_USERIDS)
        chunks = [tuple(left[start : start + size]) for start in range(0, len(left), size)]
        for number, chunk in enumerate(chunks, start=1):
            pending.calls.append(Call(task, number, len(chunks), chunk))
    return pending


def _say_plan(plan: PushPlan, pending: _Pending, say: Say) -> None:
    publish = plan.publish
    published = f", published {publish.published_at}" if publish.published_at else ""
    say(f"publish {publish.run_id} as of {publish.as_of_date}{published}")
    statuses = ", ".join(f"{status} {count:,}" for status, count in plan.statuses.items())
    channels = ", ".join(f"{channel} {count:,}" for channel, count in plan.issued_channels.items())
    say(f"customer_actions: {sum(plan.statuses.values()):,} rows ({statuses or 'none'})")
    say(f"issued by channel: {channels or 'none'}; only issued actions are pushed")
    for action, count in plan.disabled.items():
        say(f"left out: {count:,} issued {action} (disabled in the action catalog)")
    for channel, count in plan.not_pushed_channels.items():
        say(f"left out: {count:,} issued on channel {channel!r} (no way to send them)")
    senders = len({task.sender for task in plan.tasks})
    customers = sum(len(call.external_userids) for call in pending.calls)
    say(
        f"plan: {_n(len(plan.tasks), 'WeCom task')} ({_n(plan.wecom_customers, 'customer')} of "
        f"{senders:,} staff), {_n(len(pending.calls), 'call')} to make for "
        f"{_n(customers, 'customer')} "
        f"({pending.sent_before:,} already sent, {pending.uncertain_before:,} uncertain); "
        f"{_n(len(plan.miniprogram), 'mini-program file')} "
        f"({_n(plan.miniprogram_customers, 'customer')})"
    )


def _say_dry_run(
    plan: PushPlan, pending: _Pending, wecom: WecomSettings, files: Path, say: Say
) -> None:
    to_send: dict[tuple[str, str], tuple[int, int]] = {}
    for call in pending.calls:
        customers, calls = to_send.get((call.task.sender, call.task.action), (0, 0))
        to_send[(call.task.sender, call.task.action)] = (
            customers + len(call.external_userids),
            calls + 1,
        )
    if plan.tasks:
        say("WeCom tasks (staff member, action: customers to send, calls | text):")
    for task in plan.tasks[:SHOWN]:
        customers, calls = to_send.get((task.sender, task.action), (0, 0))
        done = len(task.external_userids) - customers
        already = f" ({done:,} already sent or uncertain)" if done else ""
        say(
            f"  {task.sender} {task.action} {task.action_zh}: {_n(customers, 'customer')}"
            f"{already}, {_n(calls, 'call')} | "
            f"{first_line(task.message, TEXT_SHOWN)}"
        )
    if len(plan.tasks) > SHOWN:
        say(f"  ... and {len(plan.tasks) - SHOWN:,} more tasks")
    if plan.miniprogram:
        say("mini-program subscription messages (action: customers | text):")
    for action, rows in plan.miniprogram.items():
        say(
            f"  {action} {rows[0].action_zh}: {_n(len(rows), 'customer')} | "
            f"{first_line(rows[0].message, TEXT_SHOWN)}"
        )
    say(
        "dry run: nothing sent, no file written; `cdp push-actions --apply` sends the tasks to "
        f"{wecom.base_url} and writes the mini-program files to {files}"
    )


def _write_miniprogram_files(plan: PushPlan, files: Path, say: Say) -> None:
    """One CSV per action (replaced atomically); files of this folder no action has any more
    are removed, so the folder is always the current publish's."""
    written = set()
    for action, rows in plan.miniprogram.items():
        path = files / f"{CSV_PREFIX}{action}.csv"
        _write_csv(path, rows)
        written.add(path.name)
        say(f"wrote {path} ({_n(len(rows), 'customer')})")
    if files.is_dir():
        for path in sorted(files.glob(f"{CSV_PREFIX}*.csv")):
            if path.name not in written:
                path.unlink()
                say(f"removed {path} (no such mini-program action in this publish)")


def _write_csv(path: Path, rows: Sequence[MiniprogramRow]) -> None:
    """UTF-8, a header, `\\n` line ends; written beside and renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(CSV_COLUMNS)
            writer.writerows(
                (row.customer_id, row.openid, row.action, row.action_zh, row.message)
                for row in rows
            )
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@dataclass
class _Tally:
    """What an apply did, for the progress lines and the summary."""

    calls_sent: int = 0
    customers_sent: int = 0
    refused: list[tuple[Call, str]] = field(default_factory=list)
    """(call, external_userid) of each customer in a fail_list."""
    failures: list[tuple[Call, WecomError]] = field(default_factory=list)
    uncertain: list[tuple[Call, WecomError]] = field(default_factory=list)
    not_attempted: int = 0


def _apply(
    plan: PushPlan, pending: _Pending, ledger: PushLedger, client: WecomClient, say: Say
) -> int:
    tally = _Tally()
    calls = pending.calls
    customers = sum(len(call.external_userids) for call in calls)
    say(
        f"sending {_n(len(calls), 'call')} to {_n(customers, 'customer')} "
        f"({_n(pending.sent_before, 'customer')} skipped as already sent, "
        f"{pending.uncertain_before:,} as uncertain)"
    )
    for done, call in enumerate(calls, start=1):
        stop = _send(plan, call, ledger, client, tally)
        if stop:
            tally.not_attempted = len(calls) - done
            say(f"stopping: {stop}")
            break
        if done % PROGRESS_EVERY == 0:
            say(
                f"  {done:,}/{len(calls):,} calls: {tally.calls_sent:,} sent to "
                f"{_n(tally.customers_sent, 'customer')}, {len(tally.failures):,} failed"
            )
    _say_summary(plan, pending, tally, ledger, client, say)
    failed = tally.failures or tally.uncertain or tally.refused or tally.not_attempted
    return EXIT_FAILED if failed else EXIT_OK


def _send(
    plan: PushPlan, call: Call, ledger: PushLedger, client: WecomClient, tally: _Tally
) -> WecomError | None:
    """Make one call and record it; returns the error when the whole run should stop.

    WeCom refusing this call alone (a permanent errcode) is a failure of this call: it is not
    recorded, so the next `--apply` tries it again.
    """
    task = call.task
    record = {
        "run_id": plan.publish.run_id,
        "sender": task.sender,
        "action": task.action,
        "chunk": call.chunk,
        "chunks": call.chunks,
        "external_userids": call.external_userids,
    }
    try:
        answer = client.add_msg_template(task.sender, call.external_userids, task.message)
    except WecomError as exc:
        if tally.calls_sent == 0:
            raise_if_credentials_refused(exc)
        if exc.uncertain:
            ledger.record(**record, status=UNCERTAIN, error=str(exc))
            tally.uncertain.append((call, exc))
        else:
            tally.failures.append((call, exc))
        return exc if exc.stops_the_run else None
    sent = set(call.external_userids)
    fail_list = [str(item) for item in answer.get("fail_list") or [] if str(item) in sent]
    msgid = str(answer.get("msgid") or "")
    ledger.record(**record, status=SENT, msgid=msgid, fail_list=fail_list)
    tally.calls_sent += 1
    tally.customers_sent += len(call.external_userids) - len(fail_list)
    tally.refused.extend((call, external_userid) for external_userid in fail_list)
    return None


def _say_uncertain_left(pending: _Pending, say: Say) -> None:
    if pending.uncertain_before:
        say(
            f"{_n(pending.uncertain_before, 'customer')} in calls an earlier run could not "
            "confirm (uncertain): check WeCom's 群发记录, and only if those tasks are missing "
            "run `cdp push-actions --apply --resend-uncertain`"
        )


def _say_summary(
    plan: PushPlan,
    pending: _Pending,
    tally: _Tally,
    ledger: PushLedger,
    client: WecomClient,
    say: Say,
) -> None:
    for call, exc in (tally.failures + tally.uncertain)[:SHOWN]:
        say(f"failed: {call.name()}: {exc}")
    if len(tally.failures) + len(tally.uncertain) > SHOWN:
        say(f"... and {len(tally.failures) + len(tally.uncertain) - SHOWN:,} more failures")
    for call, external_userid in tally.refused[:SHOWN]:
        say(f"WeCom could not send to {external_userid} ({call.task.sender} {call.task.action})")
    if len(tally.refused) > SHOWN:
        say(f"... and {len(tally.refused) - SHOWN:,} more customers WeCom could not send to")
    say(
        f"publish {plan.publish.run_id} as of {plan.publish.as_of_date}: "
        f"{_n(tally.calls_sent, 'call')} sent to {_n(tally.customers_sent, 'customer')}, "
        f"{_n(len(tally.refused), 'customer')} WeCom could not send to, "
        f"{_n(pending.sent_before, 'customer')} skipped as already sent, "
        f"{_n(len(tally.failures), 'call')} failed, {len(tally.uncertain):,} uncertain, "
        f"{tally.not_attempted:,} not attempted"
    )
    say(f"{client.calls:,} WeCom calls; call log: {client.log_path}; ledger: {ledger.path}")
    if tally.calls_sent:
        say("each staff member confirms their tasks in WeCom before the customers receive them")
    if tally.uncertain:
        say(
            "uncertain calls are not sent again: check WeCom's 群发记录, and only if those tasks "
            "are missing run `cdp push-actions --apply --resend-uncertain`"
        )
    else:
        _say_uncertain_left(pending, say)
    if tally.failures or tally.not_attempted:
        say("run `cdp push-actions --apply` again to send the rest (sent ones are skipped)")
