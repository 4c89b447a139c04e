"""The Dagster home every run uses: `cdp run`, `cdp ui`, and whoever calls `run_nightly`.

`<warehouse>/../dagster` unless DAGSTER_HOME says otherwise; a new home gets a dagster.yaml:
no telemetry, no newsletter pop-up in the UI (`nux`), and the SQLite event log that writes a
batch of asset events at once (orchestration/event_log.py), with Dagster handing them over in
batches (DAGSTER_EVENT_BATCH_SIZE).
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from cdp.settings import Settings

DAGSTER_EVENT_BATCH_SIZE = 10_000
"""Dagster hands the event log up to this many asset events of one batch at once."""


def prepare_dagster_home(settings: Settings) -> Path:
    """Set DAGSTER_HOME and the event batch size (unless set), write a new home's dagster.yaml,
    and return the home."""
    default = (settings.warehouse_dir.parent / "dagster").resolve()
    os.environ.setdefault("DAGSTER_HOME", str(default))
    os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", str(DAGSTER_EVENT_BATCH_SIZE))
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(dagster_yaml(home), encoding="utf-8")
    return home


def dagster_yaml(home: Path) -> str:
    """A new Dagster home's settings (see the module's docstring)."""
    return yaml.safe_dump(
        {
            "telemetry": {"enabled": False},
            "nux": {"enabled": False},
            "event_log_storage": {
                "module": "orchestration.event_log",
                "class": "BatchedSqliteEventLogStorage",
                "config": {"base_dir": str(home.resolve() / "history" / "runs")},
            },
        },
        sort_keys=False,
    )
