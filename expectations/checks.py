"""`FrameCheck`: one query (or one frame made in Python) validated against one GX suite, and
short builders for the expectations the suites use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.expectations.expectation import Expectation

# A raw mainland mobile number inside any text: 1[3-9] and nine more digits, optionally
# after +86 / 0086 / 86, with single spaces, tabs or dashes allowed between digits, not part
# of a longer run of letters or digits (so `138****8000`, a SHA-256 in hex or an id such as
# `M13812345678` do not match). RE2-compatible (no \s, no lookaround), so pandas runs it in
# pyarrow instead of Python's `re`: several times faster on millions of rows.
MOBILE_PATTERN = (
    r"(?:^|[^0-9A-Za-z])(?:(?:\+|00)?86[ \t-]?)?1[3-9](?:[ \t-]?[0-9]){9}(?:$|[^0-9A-Za-z])"
)


@dataclass(frozen=True, eq=False)
class FrameCheck:
    """One validation of the gate.

    `name` names the GX suite (unique within a run; also its data asset and Data Docs page);
    `label` starts every failure line (a table or entity). The rows come from `sql` with
    `params`, or from `frame` when the check builds its small frame in Python. `key`: the
    rows are read in hash partitions of it, so uniqueness over it holds across frames.
    `id_columns` are shown beside failing examples; `unit` names what a row is.
    """

    name: str
    label: str
    expectations: tuple[Expectation, ...]
    sql: str | None = None
    params: tuple[Any, ...] = ()
    frame: pd.DataFrame | None = None
    key: tuple[str, ...] = ()
    id_columns: tuple[str, ...] = ()
    unit: str = "rows"

    def suite(self) -> gx.ExpectationSuite:
        return gx.ExpectationSuite(name=self.name, expectations=list(self.expectations))


def present(*columns: str) -> list[Expectation]:
    return [gxe.ExpectColumnToExist(column=c) for c in columns]


def not_null(*columns: str) -> list[Expectation]:
    return [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in columns]


def unique(key: Sequence[str]) -> list[Expectation]:
    """Key columns not null and unique together."""
    if len(key) == 1:
        return [*not_null(*key), gxe.ExpectColumnValuesToBeUnique(column=key[0])]
    return [*not_null(*key), gxe.ExpectCompoundColumnsToBeUnique(column_list=list(key))]


def in_set(column: str, values: Iterable[Any]) -> Expectation:
    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values))


def between(
    column: str,
    low: float | dt.datetime | None = None,
    high: float | dt.datetime | None = None,
    *,
    strict_low: bool = False,
) -> Expectation:
    return gxe.ExpectColumnValuesToBeBetween(
        column=column, min_value=low, max_value=high, strict_min=strict_low
    )


def at_least(column: str, other: str) -> Expectation:
    """`column` ≥ `other` wherever both hold a value."""
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=column, column_B=other, or_equal=True, ignore_row_if="either_value_is_missing"
    )


def matches(column: str, regex: str) -> Expectation:
    return gxe.ExpectColumnValuesToMatchRegex(column=column, regex=regex)


def no_mobile(column: str) -> Expectation:
    """No raw mobile number in the text; failing examples are redacted."""
    return gxe.ExpectColumnValuesToNotMatchRegex(
        column=column, regex=MOBILE_PATTERN, meta={"label": "raw mobile number", "redact": True}
    )


def null(column: str) -> Expectation:
    return gxe.ExpectColumnValuesToBeNull(column=column)


def row_count(value: int) -> Expectation:
    return gxe.ExpectTableRowCountToEqual(value=value)
