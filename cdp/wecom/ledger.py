"""The ledger that makes `cdp sync-wecom --apply` idempotent per publish.

One JSONL file per publish run id, `<warehouse>/wecom_sync/<run id>/ledger.jsonl`, with one
line per relationship change applied (or found to need no call) for that run:
`{"run_id", "userid", "external_userid", "add", "remove", "status", "add_ids",
"remove_ids", "at"}`. A change is done when a line with the same run id, userid,
external_userid and add/remove tag names exists; a re-run skips it. A new publish has a new
run id, so it starts with an empty ledger.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from cdp.settings import SettingsError
from cdp.wecom.plan import Change

SYNC_DIR = "wecom_sync"
LEDGER_FILE = "ledger.jsonl"
CALL_LOG_FILE = "calls.jsonl"
LOCK_FILE = ".lock"

Key = tuple[str, str, str, tuple[str, ...], tuple[str, ...]]


def run_dir(warehouse_dir: Path, run_id: str) -> Path:
    """`<warehouse>/wecom_sync/<run id>`; a run id unsafe as a file name is made safe."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", run_id).strip(".") or "run"
    if name != run_id:
        name = f"{name[:80]}-{hashlib.sha256(run_id.encode('utf-8')).hexdigest()[:10]}"
    return warehouse_dir / SYNC_DIR / name


def change_key(run_id: str, change: Change) -> Key:
    return (run_id, change.userid, change.external_userid, change.add, change.remove)


class Ledger:
    """The changes of run `run_id` already applied, read from and appended to `path`."""

    def __init__(self, path: Path, run_id: str):
        self.path = path
        self.run_id = run_id
        self._done: set[Key] = set()
        if path.is_file():
            with path.open(encoding="utf-8") as lines:
                for line in lines:
                    self._read(line)

    def _read(self, line: str) -> None:
        """Add one ledger line; a torn or foreign line (another run id) is ignored."""
        try:
            entry = json.loads(line)
            key = (
                entry["run_id"],
                entry["userid"],
                entry["external_userid"],
                tuple(entry["add"]),
                tuple(entry["remove"]),
            )
        except (json.JSONDecodeError, KeyError, TypeError):
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
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as ledger:
            ledger.write(json.dumps(entry, ensure_ascii=False) + "\n")
            ledger.flush()
            os.fsync(ledger.fileno())
        self._done.add(change_key(self.run_id, change))


@contextmanager
def exclusive(directory: Path) -> Iterator[None]:
    """Hold `<directory>/.lock` so two `--apply` of the same publish cannot run at once."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / LOCK_FILE).open("a") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SettingsError(
                f"another `cdp sync-wecom --apply` holds {directory / LOCK_FILE}"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
