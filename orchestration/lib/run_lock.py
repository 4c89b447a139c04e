"""One `cdp run`, `cdp backfill` or `cdp demo` at a time per warehouse.

The lock is `<warehouse>/run.lock`: an advisory `flock` held for the whole command, and in the
file one JSON line saying who holds it (pid, command, start time, host). The kernel releases a
`flock` when its process ends, however it ends (`kill -9` included), so a lock is never held
by a process that is gone: a second command finds it held and exits 2 at once with one line
naming the holder; a command that finds the file still describing a holder but can take the
lock knows that holder died (a "stale" lock), says so and takes it over. A command ending
normally empties the file.

Dying with it: `cdp run` starts dbt as a child process (dagster-dbt's `DbtCliResource`). A
`cdp` killed with `-9` gets no chance to stop it, and the orphan would go on writing the build
database. `children_die_with_this_process` has each dbt child ask the kernel for SIGKILL when
its parent dies (Linux `prctl(PR_SET_PDEATHSIG)`, set in the child before it runs dbt).

Runs left behind: the Dagster runs `cdp` launches are tagged with its pid and the warehouse
(`run_tags`). A `cdp` killed during a run leaves that run STARTED in Dagster forever; the next
command holding the lock marks every such run of its warehouse failed (`fail_orphaned_runs`):
no other `cdp` can be running on that warehouse, so they are orphans.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

LOCK_FILE = "run.lock"
PID_TAG = "cdp/pid"
WAREHOUSE_TAG = "cdp/warehouse"
PR_SET_PDEATHSIG = 1

Say = Callable[[str], None]

_held: Path | None = None
"""The warehouse folder whose lock this process holds."""


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) a warehouse's run lock, as its lock file says."""

    pid: int
    command: str = ""
    started_at: str = ""
    host: str = ""

    def describe(self) -> str:
        details = ", ".join(
            part for part in (self.command, f"started {self.started_at}" if self.started_at else "")
            if part
        )
        on = f" on {self.host}" if self.host and self.host != socket.gethostname() else ""
        return f"pid {self.pid}{on}" + (f" ({details})" if details else "")


class WarehouseInUse(Exception):
    """Another command holds the warehouse's run lock: one line naming it (exit 2)."""

    def __init__(self, warehouse_dir: Path, holder: Holder | None):
        self.holder = holder
        who = holder.describe() if holder else "another process"
        super().__init__(
            f"the warehouse {warehouse_dir} is in use by {who}: one run at a time per warehouse; "
            f"try again once it has finished (lock {warehouse_dir / LOCK_FILE})"
        )


def lock_path(warehouse_dir: Path) -> Path:
    return Path(warehouse_dir) / LOCK_FILE


def _parse(text: str) -> Holder | None:
    try:
        data = json.loads(text)
        return Holder(
            pid=int(data["pid"]),
            command=str(data.get("command", "")),
            started_at=str(data.get("started_at", "")),
            host=str(data.get("host", "")),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _read(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace").strip()


def _write(fd: int, text: str) -> None:
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    os.write(fd, text.encode("utf-8"))
    os.fsync(fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


@contextmanager
def hold(warehouse_dir: Path, command: str, say: Say) -> Iterator[Holder | None]:
    """Hold the warehouse's run lock for the block; yields the stale holder taken over, if any.
    Raises WarehouseInUse when another live process holds it."""
    global _held
    warehouse_dir = Path(warehouse_dir)
    warehouse_dir.mkdir(parents=True, exist_ok=True)
    path = lock_path(warehouse_dir)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WarehouseInUse(warehouse_dir, _parse(_read(fd))) from None
        except OSError as exc:  # a file system without flock: the recorded pid decides
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                raise
            recorded = _parse(_read(fd))
            if recorded and recorded.pid != os.getpid() and _pid_alive(recorded.pid):
                raise WarehouseInUse(warehouse_dir, recorded) from None
        left = _read(fd)
        stale = _parse(left) if left else None
        if left:
            who = stale.describe() if stale else "an unreadable holder"
            say(f"took over the stale lock of {who}: that process is gone ({path})")
        me = Holder(
            pid=os.getpid(),
            command=command,
            started_at=datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"),
            host=socket.gethostname(),
        )
        _write(fd, json.dumps(me.__dict__))
        _held = warehouse_dir
        try:
            yield stale
        finally:
            _held = None
            _write(fd, "")
    finally:
        os.close(fd)  # releases the flock


def holder(warehouse_dir: Path) -> Holder | None:
    """The live process holding the warehouse's run lock, None when it is free. Reads the file
    only (never takes the lock, so it cannot make a starting command fail)."""
    try:
        recorded = _parse(lock_path(warehouse_dir).read_text(encoding="utf-8"))
    except OSError:
        return None
    if recorded is None:
        return None
    if recorded.host and recorded.host != socket.gethostname():
        return recorded  # another machine's process: its pid says nothing here
    return recorded if _pid_alive(recorded.pid) else None


def run_tags() -> dict[str, str]:
    """The tags of a Dagster run this process launches: its pid and, while it holds a
    warehouse's lock, that warehouse (so the next command can tell its orphans)."""
    tags = {PID_TAG: str(os.getpid())}
    if _held is not None:
        tags[WAREHOUSE_TAG] = str(_held.resolve())
    return tags


def fail_orphaned_runs(warehouse_dir: Path, say: Say) -> list[str]:
    """Mark failed the Dagster runs of this warehouse that a `cdp` which is gone left not
    finished (STARTED, STARTING or NOT_STARTED). Call it holding the warehouse's lock."""
    import dagster as dg

    instance = dg.DagsterInstance.get()
    runs = instance.get_runs(
        dg.RunsFilter(
            statuses=[
                dg.DagsterRunStatus.NOT_STARTED,
                dg.DagsterRunStatus.STARTING,
                dg.DagsterRunStatus.STARTED,
            ],
            tags={WAREHOUSE_TAG: str(Path(warehouse_dir).resolve())},
        )
    )
    failed = []
    for run in runs:
        pid = run.tags.get(PID_TAG, "")
        if pid == str(os.getpid()):
            continue
        instance.report_run_failed(
            run,
            f"the cdp process that ran it (pid {pid}) is gone: marked failed by "
            f"cdp (pid {os.getpid()})",
        )
        say(f"marked failed: Dagster run {run.run_id} ({run.job_name}), left {run.status.value} "
            f"by cdp pid {pid}, which is gone")
        failed.append(run.run_id)
    return failed


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """A preexec function that makes the child get SIGKILL when `parent` dies (Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the line above
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


class _PopenDyingWithParent(subprocess.Popen):
    """subprocess.Popen whose child dies with this process. Only from the main thread: the
    kernel sends the signal when the *thread* that started the child ends."""

    def __init__(self, *args, **kwargs):
        if kwargs.get("preexec_fn") is None and threading.current_thread() is threading.main_thread():
            kwargs["preexec_fn"] = _die_with_parent(os.getpid())
        super().__init__(*args, **kwargs)


def children_die_with_this_process() -> None:
    """Make the dbt processes dagster-dbt starts die with this process (see the module doc).
    dagster-dbt offers no hook for the child's start: orchestration/lib/dagster_private.py
    hands its invocation module a Popen that adds one (tests/test_faults.py's kill test fails
    if an upgrade moves it)."""
    from orchestration.lib.dagster_private import replace_dbt_popen

    replace_dbt_popen(_PopenDyingWithParent)
