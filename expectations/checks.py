"""The gate's two kinds of check, and short builders for the expectations they use.

- `RuleCheck`: named rules over the rows of a table or query, counted by the database (DuckDB,
  or Spark: expectations/queries.py); GX validates the one row of counts (every rule broken by
  no row).
- `FrameCheck`: a small query (a row per file, per snapshot, per run) or a frame made in
  Python, validated by GX against its own expectations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.expectations.expectation import Expectation

from expectations.gx_layer import quote

# A raw mainland mobile number inside any text: 1[3-9] and nine more digits, optionally
# after +86 / 0086 / 86, with single spaces, tabs or dashes allowed between digits, not part
# of a longer run of letters or digits (so `138****8000`, a SHA-256 in hex or an id such as
# `M13812345678` do not match). RE2-compatible (no \s, no lookaround): the gate counts its
# matches with DuckDB's `regexp_matches`, which is RE2, or Spark's `rlike` (Java's regular
# expressions, which read this pattern alike).
MOBILE_PATTERN = (
    r"(?:^|[^0-9A-Za-z])(?:(?:\+|00)?86[ \t-]?)?1[3-9](?:[ \t-]?[0-9]){9}(?:$|[^0-9A-Za-z])"
)


@dataclass(frozen=True, eq=False)
class FrameCheck:
    """One validation of the gate.

    `name` names the GX suite (unique within a run; also its data asset and Data Docs page);
    `label` starts every failure line (a table or entity). The rows come from `sql` with
    `params` (a small result: GX reads it whole), or from `frame` when the check builds its
    frame in Python. `id_columns` are shown beside failing examples; `unit` names what a row
    is.
    """

    name: str
    label: str
    expectations: tuple[Expectation, ...]
    sql: str | None = None
    params: tuple[Any, ...] = ()
    frame: pd.DataFrame | None = None
    id_columns: tuple[str, ...] = ()
    unit: str = "rows"

    def suite(self) -> gx.ExpectationSuite:
        return gx.ExpectationSuite(name=self.name, expectations=list(self.expectations))


@dataclass(frozen=True, eq=False)
class RuleCheck:
    """Rules over the rows of `query` (a table's or a query's), counted by the database.

    `rules`: name → SQL condition on a row; a row breaks a rule where its condition is false
    (a null is no verdict, as with GX's column expectations: write `coalesce(…, false)` where
    a null must break it). `example`: SQL naming a row (its key), shown beside a broken rule.
    GX validates one row: `rows`, and per rule the rows breaking it (expected 0) and the
    first example of them (`<rule>__example`).
    """

    name: str
    label: str
    query: str
    rules: Mapping[str, str]
    example: str
    params: tuple[Any, ...] = ()
    unit: str = "rows"

    def sql(self) -> str:
        counts = [
            f"count(*) filter (where not ({condition})) as {quote(rule)}, "
            f"min(cast({self.example} as varchar)) filter (where not ({condition})) "
            f"as {quote(example_column(rule))}"
            for rule, condition in self.rules.items()
        ]
        return f"select {', '.join(['count(*) as rows', *counts])} from ({self.query}) as checked"

    def suite(self) -> gx.ExpectationSuite:
        expectations = [
            gxe.ExpectColumnMaxToBeBetween(
                column=rule, min_value=0, max_value=0, meta={"rule": condition}
            )
            for rule, condition in self.rules.items()
        ]
        return gx.ExpectationSuite(name=self.name, expectations=expectations)


def example_column(rule: str) -> str:
    return f"{rule}__example"


def not_null(*columns: str) -> list[Expectation]:
    return [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in columns]


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


def row_count(value: int) -> Expectation:
    return gxe.ExpectTableRowCountToEqual(value=value)
