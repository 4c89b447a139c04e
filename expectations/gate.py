"""The quality gate's entry point: every suite over the build database, one result each.

`run_gate` validates, in order, the inputs (one result per landing-zone entity), the
identity graph (one result) and the published tables (one result per table), or the groups
of these its `kinds` names, writes the Data Docs and returns a `GateReport`. A result
passes when every GX validation behind it passed; a query that cannot run (a missing table
or column) fails its result with the database's message instead of stopping the gate.

Every read goes through `queries` (expectations/queries.py): the build database on DuckDB, a
Spark session over Spark's tables on Spark; each group's log line says which.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import pandas as pd
from great_expectations.core.expectation_validation_result import ExpectationValidationResult

from cdp.settings import GateSettings
from expectations import identity, inputs
from expectations.checks import MOBILE_PATTERN, FrameCheck, RuleCheck, example_column
from expectations.gx_layer import GxRun, Validation, describe
from expectations.published import MissingTable, suite_of, table_checks
from expectations.queries import Queries
from ingestion.contracts import ENTITIES, Entity

Kind = Literal["input", "identity", "published"]
KINDS: tuple[Kind, ...] = ("input", "identity", "published")


@dataclass(frozen=True)
class SuiteResult:
    """The outcome of one suite. `target`: the entity label (`member/members`),
    `identity_graph_stats` or the published table's name; `suite`: the GX suite of its main
    validation (a target may have more: quarantine, volume, row count); `failures`: one line
    per failed expectation, naming the table and the expectation; `evaluated`: expectations
    evaluated over all its validations."""

    kind: Kind
    target: str
    suite: str
    passed: bool
    failures: list[str]
    evaluated: int
    query_seconds: float = 0.0
    """The seconds the database took to compute the frames GX validated: the gate's floor
    (`cdp bench`)."""


@dataclass(frozen=True)
class GateReport:
    """Every suite's result, in gate order, and the Data Docs index of the run."""

    results: list[SuiteResult]
    docs_index: Path
    masked: dict[str, int] = field(default_factory=dict)
    """What the published tables hold masked rather than refused, counted: e.g. the golden
    names holding a phone number, which `customer_profile` publishes as `name_masked`."""

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def query_seconds(self) -> float:
        return sum(r.query_seconds for r in self.results)

    def failure_lines(self) -> list[str]:
        return [line for r in self.results for line in r.failures]


def run_gate(
    queries: Queries,
    *,
    as_of: dt.date,
    since: dt.date | None,
    previous_rows: Mapping[str, int] | None,
    settings: GateSettings,
    docs_dir: Path,
    run_id: str,
    tables: Sequence[str] = (),
    say: Callable[[str], None] = print,
    kinds: Collection[Kind] = KINDS,
) -> GateReport:
    """Validate the build, read through `queries`, for a publish as of `as_of`; `since` is the
    as-of date of the last publish (None for the first) and `previous_rows` its row count per
    table; `tables`: the tables about to be published (the dbt models tagged `published`).
    `kinds` picks the suite groups to run (e.g. only `input` before the dbt build)."""
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown suite kinds {sorted(unknown)}; known: {', '.join(KINDS)}")
    run = GxRun(docs_dir, run_id)
    results: list[SuiteResult] = []

    if "input" in kinds:
        started = time.perf_counter()
        found = [
            check_input(run, queries, entity, as_of=as_of, since=since, settings=settings)
            for entity in ENTITIES
        ]
        window = f"extracts ≤ {as_of}" if since is None else f"extracts > {since}, ≤ {as_of}"
        _say_group(say, "inputs", f"{window} on {queries.where}", found, started)
        results += found

    if "identity" in kinds:
        started = time.perf_counter()
        found = [check_identity(run, queries, as_of=as_of, settings=settings)]
        _say_group(say, "identity", f"as of {as_of} on {queries.where}", found, started)
        results += found

    if "published" in kinds:
        started = time.perf_counter()
        found = [
            check_published(
                run, queries, table, as_of=as_of, previous_rows=previous_rows, settings=settings
            )
            for table in tables
        ]
        compared = "first publish" if previous_rows is None else "rows vs the last publish"
        _say_group(say, "published", f"{compared} on {queries.where}", found, started)
        results += found

    # The Data Docs are built once a night, with the published tables' suites (they take in
    # the inputs' results of the same run), or when the inputs refuse: the night stops there.
    docs_index = run.docs_dir / "index.html"
    if "published" in kinds or not all(r.passed for r in results):
        docs_index = run.build_docs()  # the run's summary says where
    masked = masked_counts(queries) if "published" in kinds else {}
    return GateReport(results=results, docs_index=docs_index, masked=masked)


MASKED = {"names holding a phone number": ("intermediate.int_customers__golden_record", "name")}
"""Values a published table masks instead of the gate refusing them (a member named
"王姐 139-1234-5679" once refused the whole publish; `customer_profile` publishes only
`name_masked`): the clear column they are counted in, by the raw-mobile pattern."""


def masked_counts(queries: Queries) -> dict[str, int]:
    """How many values of each MASKED kind hold a phone number (0 where the table is missing)."""
    counts = {}
    for label, (relation, column) in MASKED.items():
        schema, table = relation.split(".")
        counts[label] = (
            int(
                queries.frame(
                    f"select count(*) as masked from {relation} where regexp_matches({column}, ?)",
                    [MOBILE_PATTERN],
                )["masked"].iloc[0]
            )
            if queries.has_table(schema, table)
            else 0
        )
    return counts


def check_input(
    run: GxRun,
    queries: Queries,
    entity: Entity,
    *,
    as_of: dt.date,
    since: dt.date | None,
    settings: GateSettings,
) -> SuiteResult:
    """One landing-zone entity's suite (rows, quarantine rates, snapshot volume)."""
    checks = inputs.checks(entity, as_of=as_of, since=since, settings=settings)
    return check_group(run, queries, "input", entity.label, checks)


def check_identity(
    run: GxRun, queries: Queries, *, as_of: dt.date, settings: GateSettings
) -> SuiteResult:
    """The identity suite over this run's row of marts.identity_graph_stats."""
    checks = identity.checks(as_of=as_of, settings=settings)
    return check_group(run, queries, "identity", identity.TABLE, checks)


def check_published(
    run: GxRun,
    queries: Queries,
    table: str,
    *,
    as_of: dt.date,
    previous_rows: Mapping[str, int] | None,
    settings: GateSettings,
) -> SuiteResult:
    """One published table's suite (and its row-count and extra checks)."""
    suite = suite_of(table)
    try:
        checks = table_checks(
            queries, suite, as_of=as_of, previous_rows=previous_rows, settings=settings
        )
    except MissingTable as exc:
        return SuiteResult("published", table, suite.suite_name, False, [str(exc)], 0)
    return check_group(run, queries, "published", table, checks)


def check_group(
    run: GxRun,
    queries: Queries,
    kind: Kind,
    target: str,
    checks: Sequence[RuleCheck | FrameCheck],
) -> SuiteResult:
    """Run the checks of one target; the result is named after the first (main) check."""
    validations = [_validate(run, queries, check) for check in checks]
    return SuiteResult(
        kind=kind,
        target=target,
        suite=checks[0].name,
        passed=all(v.passed for v in validations),
        failures=[line for v in validations for line in v.failures],
        evaluated=sum(v.evaluated for v in validations),
        query_seconds=sum(v.query_seconds for v in validations),
    )


def _validate(
    run: GxRun, queries: Queries, check: RuleCheck | FrameCheck
) -> Validation:
    started = time.perf_counter()
    try:
        if isinstance(check, RuleCheck):
            frame = queries.frame(check.sql(), check.params)
            queried = time.perf_counter() - started
            validation = run.validate(
                check.label, frame, check.suite(), describe_failure=_broken(check, frame)
            )
            return replace(validation, query_seconds=queried)
        frame = check.frame
        if frame is None:
            frame = queries.frame(check.sql or "", check.params)
        queried = time.perf_counter() - started
        validation = run.validate(
            check.label, frame, check.suite(), id_columns=check.id_columns, unit=check.unit
        )
        return replace(validation, query_seconds=queried)
    except queries.errors as exc:
        message = str(exc).splitlines()[0]
        return Validation(
            name=check.label,
            suite=check.name,
            passed=False,
            failures=[f"{check.label}: {check.name} could not read its rows: {message}"],
            evaluated=0,
            rows=0,
            seconds=time.perf_counter() - started,
        )


def _broken(check: RuleCheck, frame: pd.DataFrame) -> Callable[[ExpectationValidationResult], str]:
    """A broken rule in one line: `customer_tier: downgrade_risk exactly when projected below:
    broken by 3 of 1,200 rows (e.g. cus_0012)`."""

    def line(result: ExpectationValidationResult) -> str:
        rule = result.expectation_config.kwargs["column"]
        if rule not in frame.columns:
            return describe(check.label, result, check.unit)
        rows, broken = int(frame["rows"].iloc[0]), int(frame[rule].iloc[0])
        example = frame[example_column(rule)].iloc[0]
        shown = f" (e.g. {example})" if isinstance(example, str) else ""
        return f"{check.label}: {rule}: broken by {broken:,} of {rows:,} {check.unit}{shown}"

    return line


def _say_group(
    say: Callable[[str], None],
    group: str,
    scope: str,
    results: Sequence[SuiteResult],
    started: float,
) -> None:
    failed = [r.target for r in results if not r.passed]
    outcome = f"{len(results) - len(failed)} of {len(results)} passed"
    if failed:
        outcome += "; failed: " + ", ".join(failed)
    say(f"gate {group} ({scope}): {outcome} in {time.perf_counter() - started:.1f}s")
