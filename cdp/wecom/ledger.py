"""The ledgers that make `cdp sync-wecom --apply` and `cdp push-actions --apply` idempotent.

Both are append-only JSONL files, one line per thing done, flushed to disk before the next
call; a torn last line (a crash while writing) is ignored.

`cdp sync-wecom`: one file per publish run id, `<warehouse>/wecom_sync/<run id>/ledger.jsonl`,
with one line per relationship change applied (or found to need no call) for that run:
`{"run_id", "userid", "external_userid", "add", "remove", "status", "add_ids",
"remove_ids", "at"}`. A change is done when a line with the same run id, userid,
external_userid and add/remove tag names exists; a re-run skips it. A new publish has a new
run id, so it starts with an empty ledger.

`cdp push-actions`: one file per as-of date, `<warehouse>/wecom_push/<as-of date>/ledger.jsonl`
(PushLedger), with one line per add_msg_template call that WeCom answered (`sent`) or that
may have reached WeCom without an answer (`uncertain`): `{"as_of_date", "run_id", "sender",
"action", "chunk", "chunks", "recipients", "digest", "status", "msgid", "fail_list",
"error", "external_userid", "at"}`. A customer (external_userid) is done for an action when
a line of that date lists it for that action, whichever publish of the date and whichever
staff member sent it: a rerun, or a new publish as of the same date, never sends a customer
the same action twice in a day.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from cdp.settings import SettingsError
from cdp.wecom.plan import Change

SYNC_DIR = "wecom_sync"
PUSH_DIR = "wecom_push"
LEDGER_FILE = "ledger.jsonl"
CALL_LOG_FILE = "calls.jsonl"
LOCK_FILE = ".lock"

Key = tuple[str, str, str, tuple[str, ...], tuple[str, ...]]


def safe_name(text: str) -> str:
    """`text` as one file name: unchanged when safe, else cleaned and suffixed by its digest."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", text).strip(".") or "run"
    if name != text:
        name = f"{name[:80]}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:10]}"
    return name


def run_dir(warehouse_dir: Path, run_id: str) -> Path:
    """`<warehouse>/wecom_sync/<run id>`; a run id unsafe as a file name is made safe."""
    return warehouse_dir / SYNC_DIR / safe_name(run_id)


def push_dir(warehouse_dir: Path, as_of_date: date) -> Path:
    """`<warehouse>/wecom_push/<as-of date>`: the push ledger and call log of that date."""
    return warehouse_dir / PUSH_DIR / as_of_date.isoformat()


def read_entries(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a ledger file, skipping torn or foreign lines."""
    if not path.is_file():
        return
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict):
                yield entry


def append_entry(path: Path, entry: dict[str, Any]) -> None:
    """Append one JSON line and flush it to disk before returning."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as ledger:
        ledger.write(json.dumps(entry, ensure_ascii=False) + "\n")
        ledger.flush()
        os.fsync(ledger.fileno())


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def change_key(run_id: str, change: Change) -> Key:
    return (run_id, change.userid, change.external_userid, change.add, change.remove)


class Ledger:
    """The changes of run `run_id` already applied, read from and appended to `path`."""

    def __init__(self, path: Path, run_id: str):
        self.path = path
        self.run_id = run_id
        self._done: set[Key] = set()
        for entry in read_entries(path):
            self._read(entry)

    def _read(self, entry: dict[str, Any]) -> None:
        """Add one ledger line; a foreign line (another run id) is ignored."""
        try:
            key = (
                entry["run_id"],
                entry["userid"],
                entry["external_userid"],
                tuple(entry["add"]),
                tuple(entry["remove"]),
            )
        except (KeyError, TypeError):
            return
        if key[0] == self.run_id:
            self._done.add(key)

    def __len__(self) -> int:
        return len(self._done)

    def is_done(self, change: Change) -> bool:
        return change_key(self.run_id, change) in self._done

    def record(
        self, change: Change, status: str, add_ids: Sequence[str], remove_ids: Sequence[str]
    ) -> None:
        """Append (and flush to disk) one applied change."""
        entry = {
            "run_id": self.run_id,
            "userid": change.userid,
            "external_userid": change.external_userid,
            "add": list(change.add),
            "remove": list(change.remove),
            "status": status,
            "add_ids": list(add_ids),
            "remove_ids": list(remove_ids),
            "at": now_utc(),
        }
        append_entry(self.path, entry)
        self._done.add(change_key(self.run_id, change))


SENT = "sent"
UNCERTAIN = "uncertain"


class PushLedger:
    """The (action, external_userid) pairs of as-of date `as_of_date` already pushed,
    read from and appended to `path`: `sent` ones, and `uncertain` ones (the call may have
    reached WeCom; the answer was lost)."""

    def __init__(self, path: Path, as_of_date: date):
        self.path = path
        self.as_of_date = as_of_date.isoformat()
        self.sent: set[tuple[str, str]] = set()
        self.uncertain: set[tuple[str, str]] = set()
        for entry in read_entries(path):
            try:
                if entry["as_of_date"] != self.as_of_date:
                    continue
                status, action = entry["status"], entry["action"]
                keys = {(action, external_userid) for external_userid in entry["external_userid"]}
            except (KeyError, TypeError):
                continue
            if status == SENT:
                self.sent |= keys
            elif status == UNCERTAIN:
                self.uncertain |= keys
        self.uncertain -= self.sent

    def record(
        self,
        *,
        run_id: str,
        sender: str,
        action: str,
        chunk: int,
        chunks: int,
        external_userids: Sequence[str],
        status: str,
        msgid: str = "",
        fail_list: Sequence[str] = (),
        error: str = "",
    ) -> None:
        """Append (and flush to disk) one add_msg_template call."""
        digest = hashlib.sha256("\n".join(external_userids).encode("utf-8")).hexdigest()
        entry = {
            "as_of_date": self.as_of_date,
            "run_id": run_id,
            "sender": sender,
            "action": action,
            "chunk": chunk,
            "chunks": chunks,
            "recipients": len(external_userids),
            "digest": digest,
            "status": status,
            "msgid": msgid,
            "fail_list": list(fail_list),
            "error": error,
            "external_userid": list(external_userids),
            "at": now_utc(),
        }
        append_entry(self.path, entry)
        keys = {(action, external_userid) for external_userid in external_userids}
        if status == SENT:
            self.sent |= keys
            self.uncertain -= keys
        elif status == UNCERTAIN:
            self.uncertain |= keys - self.sent


@contextmanager
def exclusive(directory: Path, command: str) -> Iterator[None]:
    """Hold `<directory>/.lock` so two `command`s (e.g. `cdp sync-wecom --apply`) of the same
    publish cannot run at once."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / LOCK_FILE).open("a") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SettingsError(f"another `{command}` holds {directory / LOCK_FILE}") from None
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
