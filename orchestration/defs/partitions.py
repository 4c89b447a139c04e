"""The extract dates, one partition per extract folder of the landing zone (Asia/Shanghai).

A dynamic partitions definition: its keys live in the Dagster instance and are added by what
launches a run over them (`cdp run` before it launches the `nightly` or `ingest` job, the
schedule and the sensor with their run request). So the partitions are the extract folders
runs have seen, from the earliest to the newest, with no "Missing" days before the data
begins or after it ends, and loading the definitions reads nothing of the landing zone.

Keys are kept in date order: a run over several dates is a range of partitions, an interval
of that order, so a folder that lands late for an older date puts the newer keys back after
it. A folder named after a date later than today (Asia/Shanghai) is no partition yet (a
mistake, or early): `cdp run` says so and the sensor waits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import dagster as dg

from cdp.settings import LOCAL_TIME_ZONE
from ingestion.loader import ExtractFile

NAME = "extract_dates"
extract_dates = dg.DynamicPartitionsDefinition(name=NAME)


def partition_dates(
    files: Iterable[ExtractFile], today: date | None = None
) -> tuple[list[str], list[str]]:
    """The extract dates of `files` that are partitions or may become one (up to today in
    Asia/Shanghai), and those that are not yet (after today), each sorted."""
    today = today or datetime.now(LOCAL_TIME_ZONE).date()
    dates = sorted({f.extract_date for f in files})
    return (
        [d.isoformat() for d in dates if d <= today],
        [d.isoformat() for d in dates if d > today],
    )


def add_extract_dates(instance: dg.DagsterInstance, dates: Iterable[str]) -> list[str]:
    """Make `dates` partitions, keeping the keys in date order; returns those added."""
    existing = list(instance.get_dynamic_partitions(NAME))
    new = sorted(set(dates) - set(existing))
    if not new:
        return []
    later = [key for key in existing if key > new[0]]
    for key in later:  # a late folder for an older date: the newer keys go back after it
        instance.delete_dynamic_partition(NAME, key)
    instance.add_dynamic_partitions(NAME, sorted([*later, *new]))
    return new
