"""Settings: environment variables (a `.env` file in the working directory may hold them).

| variable | default | meaning |
| --- | --- | --- |
| `CDP_LANDING_DIR` | `data/landing` | where the source systems drop their extracts |
| `CDP_WAREHOUSE_DIR` | `data/warehouse` | the build database and (later) the published files |
| `CDP_AS_OF` | today in Asia/Shanghai | the local date a run is "as of" |
| `CDP_THREADS` | DuckDB's default (all cores) | DuckDB threads |
| `CDP_MEMORY_LIMIT` | DuckDB's default (80% of RAM) | DuckDB memory limit, e.g. `4GB` |
| `CDP_PARTITIONS_START` | `2025-01-01`, or the earliest extract folder if older | first daily partition in Dagster |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from dotenv import dotenv_values

LOCAL_TIME_ZONE = ZoneInfo("Asia/Shanghai")
DEFAULT_PARTITIONS_START = date(2025, 1, 1)


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable."""


def today_local() -> date:
    return datetime.now(LOCAL_TIME_ZONE).date()


def parse_date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise SettingsError(f"{what}: {value!r} is not a date (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_dir: Path
    as_of: date
    threads: int | None
    memory_limit: str | None
    partitions_start: date

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; variables already in the environment win over `.env`."""
        if env is None:
            env = {**{k: v for k, v in dotenv_values(".env").items() if v is not None}, **os.environ}
        threads = env.get("CDP_THREADS") or None
        if threads is not None and not (threads.isdigit() and int(threads) > 0):
            raise SettingsError(f"CDP_THREADS: {threads!r} is not a positive whole number")
        as_of = env.get("CDP_AS_OF")
        start = env.get("CDP_PARTITIONS_START")
        return cls(
            landing_dir=Path(env.get("CDP_LANDING_DIR") or "data/landing"),
            warehouse_dir=Path(env.get("CDP_WAREHOUSE_DIR") or "data/warehouse"),
            as_of=parse_date(as_of, "CDP_AS_OF") if as_of else today_local(),
            threads=int(threads) if threads else None,
            memory_limit=env.get("CDP_MEMORY_LIMIT") or None,
            partitions_start=(
                parse_date(start, "CDP_PARTITIONS_START") if start else DEFAULT_PARTITIONS_START
            ),
        )
