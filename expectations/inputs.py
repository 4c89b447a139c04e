"""Suites for the landing-zone inputs, derived from the contract (ingestion/contracts.py).

For every entity, two or three checks of the run's extracts, those with `_extract_date` in
the window (since, as_of] (everything ≤ as_of on the first publish):

- `rows`: the raw rows of the window: required columns present and not null, enumerated
  columns within their codes, non-negative money and integers ≥ 0, timestamps and epoch
  seconds (in Asia/Shanghai time) not before 2000-01-01 (dates, i.e. birthdays, not before
  1900-01-01) and none dated more than two days after its row's extract date (`expires_at`
  lies in the future by nature: only the lower bound);
- `quarantine`: every file of the window from the load log `raw._loads`, one row per file with
  its quarantined share of rows, at most `max_quarantine_rate`;
- `volume` (snapshot entities): the newest snapshot ≤ as_of against the one before it (dates
  from the load log, so a snapshot file that loaded no row counts; rows from the raw table):
  at most `max_snapshot_shrink` fewer rows.

An increment entity without rows in the window passes: its frame is empty.
"""

from __future__ import annotations

import datetime as dt

from great_expectations.expectations.expectation import Expectation

from cdp.settings import GateSettings
from expectations.checks import FrameCheck, between, in_set, not_null, present
from expectations.gx_layer import quote
from ingestion.contracts import SNAPSHOT, Column, Entity

EARLIEST_YEAR = {"timestamp": 2000, "epoch": 2000, "date": 1900}
LATEST_EPOCH = 253_402_300_799  # 9999-12-31 23:59:59 UTC: later seconds are clamped to it
LATEST_DAYS_AFTER_EXTRACT = 2
FUTURE_COLUMNS = frozenset({"expires_at"})
LOCAL_TIME_ZONE = "Asia/Shanghai"
ROW_IDS = ("_file", "_line")


def checks(
    entity: Entity, *, as_of: dt.date, since: dt.date | None, settings: GateSettings
) -> list[FrameCheck]:
    """The checks of one entity for a run as of `as_of` publishing what came after `since`."""
    found = [
        rows_check(entity, as_of=as_of, since=since),
        quarantine_check(entity, as_of=as_of, since=since, settings=settings),
    ]
    if entity.kind == SNAPSHOT:
        found.append(volume_check(entity, as_of=as_of, settings=settings))
    return found


def suite_name(entity: Entity) -> str:
    return f"input.{entity.table}"


def rows_check(entity: Entity, *, as_of: dt.date, since: dt.date | None) -> FrameCheck:
    checked = [c for c in entity.columns if _is_checked(c)]
    select = [*(_select(c) for c in checked), *(quote(c) for c in ROW_IDS)]
    condition, params = _window("_extract_date", as_of, since)
    sql = f"select {', '.join(select)} from raw.{quote(entity.table)} where {condition}"
    expectations = [e for c in checked for e in _column_expectations(c)]
    return FrameCheck(
        name=suite_name(entity),
        label=entity.label,
        expectations=tuple(expectations),
        sql=sql,
        params=params,
        id_columns=ROW_IDS,
    )


def quarantine_check(
    entity: Entity, *, as_of: dt.date, since: dt.date | None, settings: GateSettings
) -> FrameCheck:
    condition, params = _window("extract_date", as_of, since)
    sql = f"""
        select
            file,
            extract_date,
            rows_loaded,
            rows_quarantined,
            case
                when rows_loaded + rows_quarantined >= {settings.quarantine_min_file_rows}
                    then rows_quarantined / (rows_loaded + rows_quarantined)
            end as quarantine_rate
        from raw._loads
        where source = ? and entity = ? and {condition}
        order by file
    """
    return FrameCheck(
        name=f"{suite_name(entity)}__quarantine",
        label=entity.label,
        expectations=(
            *not_null("file"),
            between("quarantine_rate", 0, settings.max_quarantine_rate),
        ),
        sql=sql,
        params=(entity.source, entity.name, *params),
        id_columns=("file",),
        unit="files",
    )


def volume_check(entity: Entity, *, as_of: dt.date, settings: GateSettings) -> FrameCheck:
    table = f"raw.{quote(entity.table)}"
    sql = f"""
        with snapshot_dates as (
            select extract_date from raw._loads
            where source = ? and entity = ? and extract_date <= ?
            union
            select distinct _extract_date from {table} where _extract_date <= ?
        ),
        sizes as (
            select
                snapshot_dates.extract_date,
                count(snapshot._extract_date) as snapshot_rows,
                row_number() over (order by snapshot_dates.extract_date desc) as age
            from snapshot_dates
            left join {table} as snapshot
                on snapshot._extract_date = snapshot_dates.extract_date
            group by snapshot_dates.extract_date
        )
        select
            newest.extract_date as snapshot_date,
            newest.snapshot_rows,
            previous.extract_date as previous_date,
            previous.snapshot_rows as previous_rows,
            newest.snapshot_rows / nullif(previous.snapshot_rows, 0) as size_ratio
        from sizes as newest
        inner join sizes as previous on newest.age = 1 and previous.age = 2
    """
    return FrameCheck(
        name=f"{suite_name(entity)}__volume",
        label=entity.label,
        expectations=(between("size_ratio", 1 - settings.max_snapshot_shrink),),
        sql=sql,
        params=(entity.source, entity.name, as_of, as_of),
        id_columns=("snapshot_date", "snapshot_rows", "previous_date", "previous_rows"),
        unit="snapshots",
    )


def _is_checked(column: Column) -> bool:
    return bool(
        column.required or column.values or column.non_negative or column.kind in EARLIEST_YEAR
    )


def _year_column(column: Column) -> str:
    return f"{column.name}_year"


def _days_column(column: Column) -> str:
    return f"{column.name}_days_after_extract"


def _select(column: Column) -> str:
    """The column as the suite reads it. Instants and dates are judged through two derived
    numbers, their local year and their days after the row's extract date: GX compares
    datetimes row by row in Python, numbers vectorised."""
    name = quote(column.name)
    if column.kind == "money":
        return f"cast({name} as double) as {name}"
    if column.kind == "json":
        return f"json_type({name}) as {name}"
    if column.kind not in EARLIEST_YEAR:
        return name
    local = name
    if column.kind == "epoch":
        instant = f"to_timestamp(least({name}, {LATEST_EPOCH}))"
        local = f"timezone('{LOCAL_TIME_ZONE}', {instant})"
    read = [name] if column.required or column.non_negative else []
    read.append(f"year({local}) as {quote(_year_column(column))}")
    if column.name not in FUTURE_COLUMNS:
        days = f"date_diff('day', _extract_date, cast({local} as date))"
        read.append(f"{days} as {quote(_days_column(column))}")
    return ", ".join(read)


def _column_expectations(column: Column) -> list[Expectation]:
    found: list[Expectation] = []
    if column.required:
        found += [*present(column.name), *not_null(column.name)]
    if column.values:
        found.append(in_set(column.name, column.values))
    if column.non_negative:
        found.append(between(column.name, 0))
    if column.kind in EARLIEST_YEAR:
        found.append(between(_year_column(column), EARLIEST_YEAR[column.kind]))
        if column.name not in FUTURE_COLUMNS:
            found.append(between(_days_column(column), high=LATEST_DAYS_AFTER_EXTRACT))
    return found


def _window(column: str, as_of: dt.date, since: dt.date | None) -> tuple[str, tuple]:
    if since is None:
        return f"{column} <= ?", (as_of,)
    return f"{column} > ? and {column} <= ?", (since, as_of)
