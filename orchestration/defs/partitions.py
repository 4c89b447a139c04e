"""Daily partitions keyed by extract date (Asia/Shanghai)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import dagster as dg

from cdp.settings import Settings
from ingestion.loader import ExtractFile, discover


def first_partition(settings: Settings) -> date:
    """`CDP_PARTITIONS_START`, or the earliest extract folder when that is older (a folder
    whose name is not a date is no extract folder: loading the definitions never fails on
    one; `cdp run`, the ingestion step and the sensor name it). A landing zone that cannot be
    listed (permission denied) leaves the setting alone: `cdp run` names the error."""
    try:
        dates = [f.extract_date for f in discover(settings.landing_dir)]
    except OSError:
        dates = []
    return min([settings.partitions_start, *dates])


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
