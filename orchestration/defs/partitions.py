"""Daily partitions keyed by extract date (Asia/Shanghai)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import dagster as dg

from cdp.settings import DEFAULT_PARTITIONS_START, Settings
from ingestion.loader import ExtractFile, discover


def first_partition(settings: Settings) -> date:
    """The earliest extract folder, so the UI shows no "Missing" days before the data
    begins; `CDP_PARTITIONS_START` when set and older (a folder whose name is not a date is
    no extract folder: loading the definitions never fails on one; `cdp run`, the ingestion
    step and the sensor name it). An empty landing zone, or one that cannot be listed
    (`cdp run` names the error), starts at the setting or DEFAULT_PARTITIONS_START."""
    try:
        dates = [f.extract_date for f in discover(settings.landing_dir)]
    except OSError:
        dates = []
    chosen = [settings.partitions_start] if settings.partitions_start else []
    return min([*chosen, *dates]) if chosen or dates else DEFAULT_PARTITIONS_START


extract_dates = dg.DailyPartitionsDefinition(
    start_date=first_partition(Settings.from_env()).isoformat(),
    timezone="Asia/Shanghai",
    end_offset=1,
)


def partition_dates(files: Iterable[ExtractFile]) -> tuple[list[str], list[str]]:
    """The extract dates of `files` that are partitions, and those that are not yet (after
    tomorrow), each sorted."""
    valid = set(extract_dates.get_partition_keys())
    dates = {f.extract_date.isoformat() for f in files}
    return sorted(dates & valid), sorted(dates - valid)
