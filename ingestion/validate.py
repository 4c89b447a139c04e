"""Row contracts in SQL: from a batch of text rows to typed rows plus a reason per bad row.

For every contract column the batch gets a trimmed text value (empty = absent) and a typed
value; a row's `_reason` lists every rule it breaks (`missing key order_id`, `unparseable
paid_at: '2026-02-30 10:00:00'`, `negative paid_amount: -35.00`, `unknown order_status:
'paied'`, `implausible paid_amount: 1e12`, `invalid JSON`), and is empty for a good row.

A timestamp is the whole of `YYYY-MM-DD HH:MM:SS` (a `T` for the space, a fraction of a second
and an offset allowed): a cut-off `2026-10-31 23:0` is unparseable, not 23:00. Without an
offset it is Asia/Shanghai wall-clock time and stored as such (`timestamp`); one with an offset
(`…+08:00`, `…Z`) is converted to Asia/Shanghai wall-clock time first. Staging models turn
them into UTC. A date is exactly `YYYY-MM-DD`.

Plausible ranges: an amount above `IngestSettings.max_amount` (CDP_MAX_AMOUNT) and an epoch
outside [EARLIEST_EPOCH, LATEST_EPOCH) (2000 to 2100: milliseconds are out) are implausible.

A JSON Lines record is parsed once (`from_json` into a struct of every column's path); a
record is JSON when it is valid JSON and an object. A value that is JSON `null` is absent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from cdp.settings import IngestSettings
from ingestion.contracts import EARLIEST_EPOCH, LATEST_EPOCH, Column, Entity, ListEpoch

LOCAL_TIME_ZONE = "Asia/Shanghai"
_OFFSET = r"[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
_TIMESTAMP_SHAPES = ("____-__-__ __:__:__%", "____-__-__T__:__:__%")
_DATE_SHAPE = "____-__-__"
"""LIKE patterns a value must match before it is cast (several times cheaper than a regular
expression): the cast alone takes `2026-10-31 23:0` for 23:00 and `1990-1-2` for a date."""


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _value(entity: Entity, column: Column) -> str:
    """The column's text, trimmed, NULL when empty or absent."""
    if entity.fmt == "csv":
        return f"nullif(trim({ident(column.name)}), '')"
    if column.json_path == "$":
        return "case when _is_json then json(_record) end"
    field = "_parsed" + "".join(f".{ident(part)}" for part in _path(column))
    if column.kind == "json":
        return f"case when _is_json then {field} end"
    return f"case when _is_json then nullif(trim({field}), '') end"


def _path(column: Column) -> list[str]:
    """The keys of a JSON path `$.a.b`."""
    return column.json_path.removeprefix("$.").split(".")


def json_shape(entity: Entity) -> str:
    """The `from_json` structure of a JSON Lines entity: every column's path, as text (or
    JSON for a `json` column), and the lists of its `list_epochs` (objects of text)."""
    shape: dict = {}
    for column in entity.columns:
        if column.json_path == "$":
            continue
        *parents, key = _path(column)
        node = shape
        for parent in parents:
            node = node.setdefault(parent, {})
        node[key] = "JSON" if column.kind == "json" else "VARCHAR"
    for epoch in entity.list_epochs:
        items = shape.setdefault(epoch.items, [{}])
        items[0][epoch.field] = "VARCHAR"
    return json.dumps(shape)


def _typed(column: Column, v: str) -> str:
    if column.kind == "timestamp":
        shaped = " or ".join(f"{v} like {literal(shape)}" for shape in _TIMESTAMP_SHAPES)
        with_offset = f"timezone({literal(LOCAL_TIME_ZONE)}, try_cast({v} as timestamptz))"
        return (
            f"case when not ({shaped}) then null "
            f"when regexp_matches({v}, {literal(_OFFSET)}) then {with_offset} "
            f"else try_cast({v} as timestamp) end"
        )
    if column.kind == "date":
        return f"case when {v} like {literal(_DATE_SHAPE)} then try_cast({v} as date) end"
    if column.kind in ("text", "json"):
        return v
    return f"try_cast({v} as {column.sql_type})"


def _implausible_epoch(t: str) -> str:
    return f"not coalesce({t} >= {EARLIEST_EPOCH} and {t} < {LATEST_EPOCH}, false)"


def _list_epoch_check(epoch: ListEpoch) -> str:
    """The first value of the list's field (present, not blank) that is no plausible epoch."""
    items = f"_parsed.{ident(epoch.items)}"
    value = f"nullif(trim(x.{ident(epoch.field)}), '')"
    bad = (
        f"list_filter(coalesce({items}, []), lambda x: {value} is not null "
        f"and {_implausible_epoch(f'try_cast({value} as bigint)')})"
    )
    return (
        f"case when len({bad}) > 0 then {literal(f'implausible {epoch.name}: ')} "
        f"|| trim({bad}[1].{ident(epoch.field)}) end"
    )


def _checks(entity: Entity, column: Column, v: str, t: str, settings: IngestSettings) -> list[str]:
    name = column.name
    checks = []
    if column.required:
        what = "missing key" if name in entity.key else "missing"
        checks.append(f"case when {v} is null then {literal(f'{what} {name}')} end")
    if column.kind in ("timestamp", "date"):
        checks.append(
            f"case when {v} is not null and {t} is null "
            f"then {literal(f'unparseable {name}: ')} || {v} end"
        )
    if column.kind in ("money", "integer", "epoch"):
        checks.append(
            f"case when {v} is not null and {t} is null "
            f"then {literal(f'not a number {name}: ')} || {v} end"
        )
    if column.non_negative:
        checks.append(f"case when {t} < 0 then {literal(f'negative {name}: ')} || {v} end")
    if column.kind == "money":
        most = f"cast({literal(repr(settings.max_amount))} as double)"
        checks.append(f"case when {t} > {most} then {literal(f'implausible {name}: ')} || {v} end")
    if column.kind == "epoch":
        checks.append(
            f"case when {t} >= 0 and {_implausible_epoch(t)} "
            f"then {literal(f'implausible {name}: ')} || {v} end"
        )
    if column.values:
        accepted = ", ".join(literal(x) for x in column.values)
        checks.append(
            f"case when {v} is not null and {v} not in ({accepted}) "
            f"then {literal(f'unknown {name}: ')} || {v} end"
        )
    return checks


def staged_sql(
    entity: Entity,
    batch: str,
    carry: Sequence[str] = (),
    settings: IngestSettings = IngestSettings(),
) -> str:
    """A query over `batch` (`_file_idx`, `_line`, the reader's columns and the `carry`
    columns) that yields `_file_idx`, `_line`, the `carry` columns, `_raw` (the record as text,
    for bad rows), `"t:<col>"` (the typed values) and `_reason`."""
    values = ", ".join(f"{_value(entity, c)} as {ident('v:' + c.name)}" for c in entity.columns)
    typed = ", ".join(
        f"{_typed(c, ident('v:' + c.name))} as {ident('t:' + c.name)}" for c in entity.columns
    )
    checks = [
        check
        for c in entity.columns
        for check in _checks(entity, c, ident("v:" + c.name), ident("t:" + c.name), settings)
    ]
    checks += [_list_epoch_check(e) for e in entity.list_epochs]
    if entity.fmt == "csv":
        raw = "json_object(" + ", ".join(
            f"{literal(c.name)}, {ident(c.name)}" for c in entity.columns
        ) + ")::varchar"
        source = f"select * from {batch}"
        reason = f"concat_ws('; ', {', '.join(checks)})"
    else:
        raw = "rtrim(_record, '\r\n')"
        is_json = "coalesce(json_valid(_record) and regexp_matches(_record, '^[ \t\r\n]*[{]'), false)"
        source = (
            f"select *, case when _is_json then from_json(_record, {literal(json_shape(entity))}) "
            f"end as _parsed from (select *, {is_json} as _is_json from {batch})"
        )
        reason = f"case when _is_json then concat_ws('; ', {', '.join(checks)}) else 'invalid JSON' end"
    return f"""
        with source as ({source}),
        vals as (select *, {values} from source),
        typed as (select *, {typed} from vals),
        checked as (select *, {reason} as _reason from typed)
        select _file_idx, _line, {''.join(f"{ident(c)}, " for c in carry)}case when _reason <> '' then {raw} end as _raw,
            {'_is_json' if entity.fmt == 'jsonl' else 'true'} as _is_json,
            {', '.join(ident('t:' + c.name) for c in entity.columns)},
            _reason
        from checked
    """


def raw_table_ddl(entity: Entity) -> str:
    columns = ", ".join(f"{ident(c.name)} {c.sql_type}" for c in entity.columns)
    return (
        f"create table if not exists raw.{ident(entity.table)} ({columns}, "
        "_extract_date date not null, _file varchar not null, _line bigint not null, "
        "_encoding varchar not null, _loaded_at timestamptz not null, _load_id varchar not null)"
    )
