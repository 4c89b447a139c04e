"""Daily partitions keyed by extract date (Asia/Shanghai)."""

from __future__ import annotations

from datetime import date

import dagster as dg

from cdp.settings import Settings
from ingestion.loader import discover


def first_partition(settings: Settings) -> date:
    """`CDP_PARTITIONS_START`, or the earliest extract folder when that is older."""
    dates = [f.extract_date for f in discover(settings.landing_dir)]
    return min([settings.partitions_start, *dates])


extract_dates = dg.DailyPartitionsDefinition(
    start_date=first_partition(Settings.from_env()).isoformat(),
    timezone="Asia/Shanghai",
    end_offset=1,
)
