"""What every published table's suite checks, and how its rows are read.

Each table module declares a `TableSuite`: its key, its own expectations and derived columns.
`table_checks` adds the common part, from the table's columns in the build database:

- the key not null and unique (rows are read in hash partitions of the key);
- no raw mobile number in any text or list column (lists are read as `a,b` text);
- no NaN in any double column (derived column `nan_in` names the columns that are NaN);
- `as_of_date`, where the table has one and holds one date, is the run's date;
- the row count within `max_row_change` of the last publish's, when there was one with at
  least `MIN_ROWS_COMPARED` rows (a small frame of its own).

Dates are read as ISO text and decimals as doubles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import duckdb
import pandas as pd
from great_expectations.expectations.expectation import Expectation

from cdp.settings import GateSettings
from expectations.checks import FrameCheck, between, in_set, no_mobile, not_null, null, unique
from expectations.gx_layer import quote

SCHEMA = "marts"
MIN_ROWS_COMPARED = 100
TEXT_TYPES = ("VARCHAR", "JSON")
DOUBLE_TYPES = ("DOUBLE", "FLOAT", "REAL")


@dataclass(frozen=True)
class TableSuite:
    """A published table's suite: `key` (the grain), `expectations` (a function, so every run
    gets fresh expectation objects), `derived` columns (name → SQL over the table's columns),
    whether `as_of_date` holds only the run's date (`dated`), whether the row count is
    compared with the last publish (`compare_rows`), and `extra` checks of their own."""

    table: str
    key: tuple[str, ...]
    expectations: Callable[[], list[Expectation]]
    derived: Mapping[str, str] = field(default_factory=dict)
    dated: bool = True
    compare_rows: bool = True
    extra: Callable[[], list[FrameCheck]] | None = None

    @property
    def suite_name(self) -> str:
        return f"published.{self.table}"


class MissingTable(LookupError):
    """The published table is not in the build database."""


def table_columns(conn: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Column name → DuckDB type of `marts.<table>`, in table order."""
    rows = conn.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [SCHEMA, table],
    ).fetchall()
    if not rows:
        raise MissingTable(f"{table}: table {SCHEMA}.{table} is missing")
    return dict(rows)


def table_checks(
    conn: duckdb.DuckDBPyConnection,
    suite: TableSuite,
    *,
    as_of: dt.date,
    previous_rows: Mapping[str, int] | None,
    settings: GateSettings,
) -> list[FrameCheck]:
    """The table's checks: its suite over its rows, the row-count check, its extra checks."""
    columns = table_columns(conn, suite.table)
    found = [_rows_check(suite, columns, as_of)]
    previous = (previous_rows or {}).get(suite.table)
    if suite.compare_rows and previous is not None and previous >= MIN_ROWS_COMPARED:
        rows = conn.execute(f"select count(*) from {SCHEMA}.{quote(suite.table)}").fetchall()
        found.append(_row_count_check(suite, rows[0][0], previous, settings))
    if suite.extra is not None:
        found += suite.extra()
    return found


def _rows_check(suite: TableSuite, columns: Mapping[str, str], as_of: dt.date) -> FrameCheck:
    select = [_read(name, kind) for name, kind in columns.items()]
    doubles = [name for name, kind in columns.items() if kind in DOUBLE_TYPES]
    expectations = [*unique(suite.key)]
    expectations += [no_mobile(name) for name, kind in columns.items() if _is_text(kind)]
    if doubles:
        flags = ", ".join(f"case when isnan({quote(d)}) then {_literal(d)} end" for d in doubles)
        select.append(f"nullif(concat_ws(',', {flags}), '') as nan_in")
        expectations.append(null("nan_in"))
    if suite.dated and "as_of_date" in columns:
        expectations += [*not_null("as_of_date"), in_set("as_of_date", [as_of.isoformat()])]
    select += [f"{sql} as {quote(name)}" for name, sql in suite.derived.items()]
    expectations += suite.expectations()
    return FrameCheck(
        name=suite.suite_name,
        label=suite.table,
        expectations=tuple(expectations),
        sql=f"select {', '.join(select)} from {SCHEMA}.{quote(suite.table)}",
        key=suite.key,
    )


def _row_count_check(
    suite: TableSuite, rows: int, previous: int, settings: GateSettings
) -> FrameCheck:
    frame = pd.DataFrame(
        {
            "table": [suite.table],
            "rows": [rows],
            "previous_rows": [previous],
            "row_change": [rows / previous - 1],
        }
    )
    limit = settings.max_row_change
    return FrameCheck(
        name=f"{suite.suite_name}__row_count",
        label=suite.table,
        expectations=(between("row_change", -limit, limit),),
        frame=frame,
        id_columns=("rows", "previous_rows"),
    )


def failing_checks(checks: Mapping[str, str]) -> str:
    """SQL: the names of the row checks (name → SQL condition) that are not true for a row,
    comma-separated, or null when all hold: a derived column a suite expects to be null."""
    flags = ", ".join(
        f"case when not coalesce({sql}, false) then {_literal(name)} end"
        for name, sql in checks.items()
    )
    return f"nullif(concat_ws(',', {flags}), '')"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _is_text(kind: str) -> bool:
    return kind in TEXT_TYPES or _is_nested(kind)


def _is_nested(kind: str) -> bool:
    return kind.endswith("]") or kind.startswith(("STRUCT", "MAP", "UNION"))


def _read(name: str, kind: str) -> str:
    column = quote(name)
    if kind in ("VARCHAR[]", "JSON[]"):
        return f"array_to_string({column}, ',') as {column}"
    if _is_nested(kind) or kind == "JSON":
        return f"cast({column} as varchar) as {column}"
    if kind.startswith("DECIMAL"):
        return f"cast({column} as double) as {column}"
    if kind == "DATE":
        return f"cast({column} as varchar) as {column}"
    return column
