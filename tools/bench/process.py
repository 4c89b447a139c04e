"""Run a command as a child process and measure its wall time and peak memory (Linux).

Peak RSS is the largest sum, over the samples taken every `SAMPLE_S`, of the resident set of
the process and all its descendants (`cdp run` starts dbt as a child process), and never less
than the kernel's own high-water mark of the largest single process (`wait4`). The seconds
from the start to the largest sample say which stage reached the peak (the kernel's mark,
when it is higher, comes with no time).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_S = 0.2
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Measured:
    returncode: int
    seconds: float
    peak_rss_bytes: int
    started_at: float = 0.0
    """Wall-clock time (epoch seconds) the command started."""
    peak_at_s: float | None = None
    """Seconds from the start to the largest sample; None when the command ended before the
    first sample."""

    @property
    def peak_rss_gb(self) -> float:
        return self.peak_rss_bytes / 1e9


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and every descendant now."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += _rss(current)
        todo += _children(current)
    return total


def measure(command: list[str], *, env: dict[str, str], log: Path) -> Measured:
    """Run `command` (output to `log`) to its end; its wall seconds and peak RSS."""
    peak, peak_at = 0, 0.0
    done = threading.Event()
    started_at, started = time.time(), time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)

        def sample() -> None:
            nonlocal peak, peak_at
            while not done.wait(SAMPLE_S):
                rss = tree_rss(process.pid)
                if rss > peak:
                    peak, peak_at = rss, time.perf_counter() - started

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
    highest = usage.ru_maxrss * 1024
    return Measured(
        returncode=process.returncode,
        seconds=seconds,
        peak_rss_bytes=max(peak, highest),
        started_at=started_at,
        peak_at_s=round(peak_at, 1) if peak else None,
    )
