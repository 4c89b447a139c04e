"""What every published table's suite checks, and how its rows are counted.

dbt owns a published table's structure: its types (contract), keys (tests), not-null columns,
codes and ranges (constraints). The gate owns what ties columns, rows, tables and runs
together. Each table module declares a `TableSuite`: its key (to name a row in examples), its
rules (name → SQL condition every row meets) and checks of its own across rows or tables.
`table_checks` adds the common part, from the table's columns in the build database:

- no raw mobile number in any text or list column (lists are read as `a,b` text);
- no NaN in any double column;
- `as_of_date`, where the table has one and holds one date, is the run's date;
- the row count within `max_row_change` of the last publish's, when there was one with at
  least `MIN_ROWS_COMPARED` rows (a small frame of its own).

The database counts the rows breaking each rule; GX validates that one row of counts. A
table's columns come by DuckDB's type names on either engine (expectations/queries.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from cdp.settings import GateSettings
from expectations.checks import MOBILE_PATTERN, FrameCheck, RuleCheck, between
from expectations.gx_layer import quote
from expectations.queries import Queries

SCHEMA = "marts"
MIN_ROWS_COMPARED = 100
TEXT_TYPES = ("VARCHAR", "JSON")
DOUBLE_TYPES = ("DOUBLE", "FLOAT", "REAL")


@dataclass(frozen=True)
class TableSuite:
    """A published table's suite: `key` (the grain, named beside a broken rule; dbt tests
    its uniqueness), `rules` (name → SQL over the table's columns, false on a row that breaks
    it), whether `as_of_date` holds only the run's date (`dated`), whether the row count is
    compared with the last publish (`compare_rows`), and `extra` checks of its own."""

    table: str
    key: tuple[str, ...]
    rules: Mapping[str, str] = field(default_factory=dict)
    dated: bool = True
    compare_rows: bool = True
    extra: Callable[[], list[RuleCheck | FrameCheck]] | None = None

    @property
    def suite_name(self) -> str:
        return f"published.{self.table}"


class MissingTable(LookupError):
    """The published table is not in the build database."""


def table_columns(queries: Queries, table: str) -> dict[str, str]:
    """Column name → DuckDB type of `marts.<table>`, in table order."""
    columns = queries.columns(SCHEMA, table)
    if not columns:
        raise MissingTable(f"{table}: table {SCHEMA}.{table} is missing")
    return columns


def table_checks(
    queries: Queries,
    suite: TableSuite,
    *,
    as_of: dt.date,
    previous_rows: Mapping[str, int] | None,
    settings: GateSettings,
) -> list[RuleCheck | FrameCheck]:
    """The table's checks: its rules over its rows, the row-count check, its extra checks."""
    columns = table_columns(queries, suite.table)
    found: list[RuleCheck | FrameCheck] = [_rows_check(suite, columns, as_of)]
    previous = (previous_rows or {}).get(suite.table)
    if suite.compare_rows and previous is not None and previous >= MIN_ROWS_COMPARED:
        rows = queries.count(SCHEMA, suite.table)
        found.append(_row_count_check(suite, rows, previous, settings))
    if suite.extra is not None:
        found += suite.extra()
    return found


def _rows_check(suite: TableSuite, columns: Mapping[str, str], as_of: dt.date) -> RuleCheck:
    rules = {
        f"no raw mobile in {name}": (
            f"not regexp_matches({_text(name, kind)}, {_literal(MOBILE_PATTERN)})"
        )
        for name, kind in columns.items()
        if _is_text(kind)
    }
    rules |= {
        f"{name} is a number": f"not isnan({quote(name)})"
        for name, kind in columns.items()
        if kind in DOUBLE_TYPES
    }
    if suite.dated and "as_of_date" in columns:
        rules["as_of_date is the run's date"] = (
            f"coalesce(as_of_date = date '{as_of.isoformat()}', false)"
        )
    rules |= suite.rules
    return RuleCheck(
        name=suite.suite_name,
        label=suite.table,
        query=f"select * from {SCHEMA}.{quote(suite.table)}",
        rules=rules,
        example=row_name(suite.key),
    )


def row_name(key: tuple[str, ...]) -> str:
    """SQL naming a row by its key, e.g. `cus_0001, formula_milk` (none without a key)."""
    if not key:
        return "cast(null as varchar)"
    return " || ', ' || ".join(f"coalesce(cast({quote(k)} as varchar), 'null')" for k in key)


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


def holding(checks: Mapping[str, str]) -> dict[str, str]:
    """Rules a null breaks too (`coalesce(…, false)`): checks written as conditions that must
    be true, not merely not false."""
    return {name: f"coalesce({sql}, false)" for name, sql in checks.items()}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _is_text(kind: str) -> bool:
    return kind in TEXT_TYPES or _is_nested(kind)


def _is_nested(kind: str) -> bool:
    return kind.endswith("]") or kind.startswith(("STRUCT", "MAP", "UNION"))


def _text(name: str, kind: str) -> str:
    column = quote(name)
    if kind in ("VARCHAR[]", "JSON[]"):
        return f"array_to_string({column}, ',')"
    if _is_nested(kind) or kind == "JSON":
        return f"cast({column} as varchar)"
    return column
