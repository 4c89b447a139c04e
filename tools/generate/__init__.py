"""Synthetic landing zone: the nightly extracts of a private-domain retailer, made up but realistic.

`generate` builds a population of customers, lets them live through the extract period in the
WeChat mini-program shop, on WeCom with the brand's staff, and in the member/POS system, and
writes what each system would have dropped each night, as the landing-zone contract lays out:
`<out>/<source>/<YYYY-MM-DD>/<entity>.<ext>`. The same arguments always give byte-identical files.
"""

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from ingestion.contracts import ENTITIES as CONTRACT
from ingestion.contracts import SOURCES

from . import member, miniprogram, people, staff, wecom
from .period import Period
from .writers import Zone

DEFAULT_END = date(2026, 10, 31)
ENTITIES = tuple(e.label for e in CONTRACT)


@dataclass(frozen=True)
class GenerateSummary:
    out: Path
    first_date: date
    last_date: date
    customers: int
    files: int
    rows: dict[str, int]
    bad_rows: dict[str, int]
    bytes: int
    seconds: float
    snapshots: list[date] = field(default_factory=list)

    def lines(self) -> list[str]:
        width = max(len(k) for k in self.rows)
        out = [f"{key:<{width}}  {rows:>12,} rows  ({self.bad_rows.get(key, 0):,} bad)"
               for key, rows in self.rows.items()]
        out.append(f"{'total':<{width}}  {sum(self.rows.values()):>12,} rows  "
                   f"({sum(self.bad_rows.values()):,} bad)")
        out.append(f"{self.files:,} files, {self.bytes / 1e6:,.1f} MB, {self.first_date} … {self.last_date} "
                   f"({len(self.snapshots)} snapshots), {self.customers:,} customers, {self.seconds:.1f} s")
        return out


def _is_non_empty(path: Path) -> bool:
    return path.exists() and (not path.is_dir() or any(path.iterdir()))


def _move_into_place(tmp: Path, out: Path) -> None:
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()
    if not out.exists():
        tmp.rename(out)
        return
    for source in SOURCES:
        if (out / source).exists():
            shutil.rmtree(out / source)
    for source in SOURCES:
        if (tmp / source).exists():
            (tmp / source).rename(out / source)


def generate(out: Path, *, customers: int, days: int, seed: int, end: date = DEFAULT_END,
             snapshot_every: int = 7, bad_row_rate: float = 0.002, overwrite: bool = False,
             progress: Callable[[str], None] | None = None) -> GenerateSummary:
    """Write a landing zone of `days` extract dates ending `end` for `customers` people into `out`."""
    if customers < 1 or days < 1 or snapshot_every < 1:
        raise ValueError("customers, days and snapshot_every must be at least 1")
    if not 0 <= bad_row_rate < 0.5:
        raise ValueError("bad_row_rate must be in [0, 0.5)")
    out = Path(out)
    if _is_non_empty(out) and not overwrite:
        raise FileExistsError(f"{out} is not empty (pass overwrite=True to replace its landing zone)")
    started = time.perf_counter()
    period = Period(first=end - timedelta(days=days - 1), last=end, snapshot_every=snapshot_every, seed=seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        os.chmod(tmp, 0o755)
        zone = Zone(tmp, progress)
        team = staff.build(period.rng("staff"), customers)
        pop = people.build(period, customers, team.stores)
        zone.say(f"people: {customers:,} customers, {int(pop.in_mini.sum()):,} mini-program, "
                 f"{int(pop.in_wecom.sum()):,} WeCom, {int(pop.in_member.sum()):,} members, "
                 f"{len(team.store):,} staff in {team.stores:,} stores")
        jobs = [
            lambda: miniprogram.write(zone, period, pop, bad_row_rate),
            lambda: wecom.write(zone, period, pop, team, bad_row_rate),
            lambda: member.write(zone, period, pop, team.stores, bad_row_rate),
        ]
        with ThreadPoolExecutor(max_workers=2) as pool:
            for job in [pool.submit(j) for j in jobs]:
                job.result()
        _move_into_place(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary = GenerateSummary(
        out=out, first_date=period.first, last_date=period.last, customers=customers, files=zone.files,
        rows={k: zone.rows[k] for k in ENTITIES}, bad_rows={k: zone.bad[k] for k in ENTITIES},
        bytes=zone.bytes, seconds=time.perf_counter() - started,
        snapshots=[period.first + timedelta(days=int(d - period.first_day)) for d in period.snapshot_days()],
    )
    for line in summary.lines():
        zone.say(line)
    return summary
