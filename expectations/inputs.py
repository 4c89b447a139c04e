"""Suites for the landing-zone inputs, derived from the contract (ingestion/contracts.py).

For every entity, two or three checks of the run's extracts, those with `_extract_date` in
the window (since, as_of] (everything ≤ as_of on the first publish):

- `rows`: the raw rows of the window, counted by the database: timestamps and epoch seconds (in
  Asia/Shanghai time) not before 2000-01-01 (dates, i.e. birthdays, not before 1900-01-01)
  and none dated more than two days after its row's extract date (`expires_at` lies in the
  future by nature: only the lower bound). What a single field must be (required, codes,
  amounts ≥ 0) is the extract contract's, enforced by ingestion: a row breaking it is
  quarantined and never reaches a raw table;
- `quarantine`: every file of the window from the load log `raw._loads`, one row per file with
  its quarantined share of rows, at most `max_quarantine_rate`;
- `volume` (snapshot entities): the newest snapshot ≤ as_of against the one before it (dates
  from the load log, so a snapshot file that loaded no row counts; rows from the raw table):
  at most `max_snapshot_shrink` fewer rows.

An increment entity without rows in the window passes: its frame is empty.
"""

from __future__ import annotations

import datetime as dt

from cdp.settings import GateSettings
from expectations.checks import FrameCheck, RuleCheck, between, not_null
from expectations.gx_layer import quote
from ingestion.contracts import SNAPSHOT, Column, Entity

EARLIEST_YEAR = {"timestamp": 2000, "epoch": 2000, "date": 1900}
LATEST_EPOCH = 253_402_300_799  # 9999-12-31 23:59:59 UTC: later seconds are clamped to it
LATEST_DAYS_AFTER_EXTRACT = 2
FUTURE_COLUMNS = frozenset({"expires_at"})
LOCAL_TIME_ZONE = "Asia/Shanghai"


def checks(
    entity: Entity, *, as_of: dt.date, since: dt.date | None, settings: GateSettings
) -> list[RuleCheck | FrameCheck]:
    """The checks of one entity for a run as of `as_of` publishing what came after `since`."""
    found: list[RuleCheck | FrameCheck] = [
        quarantine_check(entity, as_of=as_of, since=since, settings=settings)
    ]
    rows = rows_check(entity, as_of=as_of, since=since)
    if rows.rules:
        found.append(rows)
    if entity.kind == SNAPSHOT:
        found.append(volume_check(entity, as_of=as_of, settings=settings))
    return found


def suite_name(entity: Entity) -> str:
    return f"input.{entity.table}"


def rows_check(entity: Entity, *, as_of: dt.date, since: dt.date | None) -> RuleCheck:
    rules = {}
    for column in entity.columns:
        if column.kind not in EARLIEST_YEAR:
            continue
        local = _local(column)
        earliest = EARLIEST_YEAR[column.kind]
        rules[f"{column.name} not before {earliest}"] = f"year({local}) >= {earliest}"
        if column.name not in FUTURE_COLUMNS:
            days = f"date_diff('day', _extract_date, cast({local} as date))"
            rules[f"{column.name} at most {LATEST_DAYS_AFTER_EXTRACT} days after its extract"] = (
                f"{days} <= {LATEST_DAYS_AFTER_EXTRACT}"
            )
    condition, params = _window("_extract_date", as_of, since)
    return RuleCheck(
        name=suite_name(entity),
        label=entity.label,
        query=f"select * from raw.{quote(entity.table)} where {condition}",
        rules=rules,
        example="_file || ':' || _line",
        params=params,
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


def _local(column: Column) -> str:
    """The column as Asia/Shanghai wall-clock time (epoch seconds converted)."""
    name = quote(column.name)
    if column.kind != "epoch":
        return name
    instant = f"to_timestamp(least({name}, {LATEST_EPOCH}))"
    return f"timezone('{LOCAL_TIME_ZONE}', {instant})"


def _window(column: str, as_of: dt.date, since: dt.date | None) -> tuple[str, tuple]:
    if since is None:
        return f"{column} <= ?", (as_of,)
    return f"{column} > ? and {column} <= ?", (since, as_of)
