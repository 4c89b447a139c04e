"""A thin layer over GX Core 1.x: one context per gate run, frames in, compact results out.

`GxRun` holds an ephemeral GX context with one pandas datasource. `read` turns a DuckDB
query into pandas frames from Arrow record batches (or, for a keyed table, from hash
partitions of the key), so memory stays bounded by the batch size whatever the table's size;
`validate` runs one suite over every frame and merges the per-frame results into one (counts
summed, a few examples kept), stores it and returns a `Validation` with one line per failed
expectation. `build_docs` writes the Data Docs site.

Data Docs live in `docs_dir`: `index.html` lists the validations of the last `keep_runs`
gate runs, newest first; the validation results they are rendered from are kept as JSON in
`docs_dir/.gx_results` (older runs are pruned, and GX removes their pages).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import time
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import numpy as np
import pandas as pd
from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.execution_engine import pandas_execution_engine

BATCH_ROWS = 1_000_000
"""Rows per frame validated. GX's cost per frame is mostly fixed: at 1M customers the
published tables took 30 s in frames of 200k rows, 21 s in frames of 1M (peak 2.7 GB for
the gate's process instead of 1.8 GB; docs/benchmark.md)."""
EXAMPLES = 3
KEEP_RUNS = 30
SITE = "gate"
RESULTS_DIR = ".gx_results"

SPLIT_MIN_ROWS = 100_000
SPLIT_MIN_COLUMNS = 8
"""A suite whose first frame has at least this many rows and columns is validated in
parts, one per set of columns its expectations read. GX's pandas engine copies the whole
frame (every column) to drop a column's null rows before each column expectation, which on a
wide frame was most of the validation (customer_profile at 1M customers, 18 columns: 5.2 s
whole, 2.2 s in parts); on a narrow or small frame the cost of validating more batches
outweighs it (wecom_tag_sync, 7 columns: 0.6 s whole, 0.7 s in parts)."""

Frames = pd.DataFrame | Iterable[pd.DataFrame]

# GX hashes every pandas batch below this size (an md5 over the whole frame) only to label it
# in the batch markers; the gate's frames are transient, and the hash took more than half of
# the validation time of a wide table. Zero turns it off (for this process).
pandas_execution_engine.HASH_THRESHOLD = 0


@dataclass(frozen=True)
class Validation:
    """The compact outcome of one suite over one frame (or a stream of frames)."""

    name: str
    suite: str
    passed: bool
    failures: list[str]
    evaluated: int
    rows: int
    seconds: float


class GxRun:
    """One gate run: an ephemeral GX context whose results and Data Docs go to `docs_dir`."""

    def __init__(
        self,
        docs_dir: Path,
        run_id: str,
        *,
        batch_rows: int = BATCH_ROWS,
        keep_runs: int = KEEP_RUNS,
        split_min_rows: int = SPLIT_MIN_ROWS,
    ) -> None:
        self.docs_dir = Path(docs_dir).resolve()
        self.batch_rows = batch_rows
        self.split_min_rows = split_min_rows
        self.keep_runs = keep_runs
        self.run_identifier = RunIdentifier(
            run_name=_safe_name(run_id), run_time=dt.datetime.now(dt.timezone.utc)
        )
        self.context = gx.get_context(mode="ephemeral", project_config=_config(self.docs_dir))
        self._datasource = self.context.data_sources.add_pandas("frames")
        self._identifiers: list[ValidationResultIdentifier | ExpectationSuiteIdentifier] = []

    def read(
        self,
        conn: duckdb.DuckDBPyConnection,
        sql: str,
        params: Sequence[Any] = (),
        *,
        key: Sequence[str] = (),
    ) -> Iterator[pd.DataFrame]:
        """The rows of `sql` as pandas frames of about `batch_rows` rows (at least one frame,
        empty when there is no row), read when iterated. Without `key`, the query streams as
        Arrow record batches. With `key`, the rows are split by a hash of the key into
        partitions of about `batch_rows` rows, one frame each (one scan per partition): a
        key's rows are all in one frame, so a key unique in every frame is unique overall,
        and nothing has to sort or hold the whole result."""
        if key:
            return _partitions(conn, sql, list(params), self.batch_rows, tuple(key))
        return _batches(conn, sql, list(params), self.batch_rows)

    def validate(
        self,
        name: str,
        frames: Frames,
        suite: gx.ExpectationSuite,
        *,
        id_columns: Sequence[str] = (),
        unit: str = "rows",
    ) -> Validation:
        """Validate every frame against `suite`, store the merged result for the Data Docs and
        describe each failed expectation in one line starting with `name`. `id_columns` are
        shown beside failing examples (e.g. the file of a quarantine rate)."""
        started = time.perf_counter()
        suite = self.context.suites.add(suite)
        parts: list[_Part] | None = None
        result_format = _result_format(id_columns)
        merged: ExpectationSuiteValidationResult | None = None
        rows = 0
        stream = iter([frames] if isinstance(frames, pd.DataFrame) else frames)
        try:
            for frame in stream:
                parts = parts or self._parts(suite, id_columns, frame)
                results = [
                    part.batch_definition.get_batch(
                        batch_parameters={"dataframe": part.columns_of(frame)}
                    ).validate(part.suite, result_format=result_format)
                    for part in parts
                ]
                self._forget_batches()
                result = _joined(suite, parts, results)
                merged = result if merged is None else _merge(merged, result)
                rows += len(frame)
        finally:
            if isinstance(stream, Generator):
                stream.close()
        if merged is None:
            raise ValueError(f"{name}: no frame to validate")
        _finish(merged, self.run_identifier, rows)
        identifier = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
            run_id=self.run_identifier,
            batch_identifier=suite.name,
        )
        self.context.validation_results_store.set(identifier, merged)
        self._identifiers += [identifier, ExpectationSuiteIdentifier(name=suite.name)]
        return Validation(
            name=name,
            suite=suite.name,
            passed=bool(merged.success),
            failures=[describe(name, r, unit) for r in merged.results if not r.success],
            evaluated=len(merged.results),
            rows=rows,
            seconds=time.perf_counter() - started,
        )

    def _forget_batches(self) -> None:
        """Drop the frames GX's execution engine keeps after validating them (one per
        suite part, for the life of the context): without this a gate run holds the last
        frame of every suite it has validated."""
        batches = self._datasource.get_execution_engine().batch_manager
        batches.reset_batch_cache()
        batches.batch_data_cache.clear()

    def _parts(
        self, suite: gx.ExpectationSuite, id_columns: Sequence[str], first: pd.DataFrame
    ) -> list[_Part]:
        """The suite whole, or when the first frame is large (SPLIT_MIN_ROWS) split by the
        columns its expectations read: one part per set of columns, each validated on a frame
        of its columns and `id_columns` only."""
        if len(first) < self.split_min_rows or len(first.columns) < SPLIT_MIN_COLUMNS:
            return [self._part(suite, (), range(len(suite.expectations)))]
        groups: dict[tuple[str, ...], list[int]] = {}
        for position, expectation in enumerate(suite.expectations):
            groups.setdefault(_columns(expectation), []).append(position)
        parts = []
        for number, (columns, positions) in enumerate(groups.items()):
            expectations = [copy.copy(suite.expectations[p]) for p in positions]
            part_suite = self.context.suites.add(
                gx.ExpectationSuite(name=f"{suite.name}.{number}", expectations=expectations)
            )
            read = (*columns, *(c for c in id_columns if c not in columns)) if columns else ()
            parts.append(self._part(part_suite, read, positions))
        return parts

    def _part(
        self, suite: gx.ExpectationSuite, columns: tuple[str, ...], positions: Iterable[int]
    ) -> _Part:
        """A part of a suite already in the context, with its own data asset; `positions`: where
        its expectations are in the whole suite."""
        asset = self._datasource.add_dataframe_asset(suite.name)
        batches = asset.add_batch_definition_whole_dataframe("frame")
        order = {e.id: p for e, p in zip(suite.expectations, positions, strict=True)}
        return _Part(columns, order, suite, batches)

    def build_docs(self) -> Path:
        """Render this run's validations and suites and the index; returns index.html."""
        self._prune()
        self.context.build_data_docs(site_names=[SITE], resource_identifiers=self._identifiers)
        for folder in (self.docs_dir / RESULTS_DIR, self.docs_dir / "validations"):
            _remove_empty_folders(folder)
        return self.docs_dir / "index.html"

    def _prune(self) -> None:
        """Drop the results of all but the newest `keep_runs` runs (GX then drops their
        pages when it builds the index)."""
        store = self.context.validation_results_store
        keys = store.list_keys()
        runs = sorted({(k.run_id.run_time, k.run_id.run_name) for k in keys}, reverse=True)
        kept = set(runs[: self.keep_runs])
        for key in keys:
            if (key.run_id.run_time, key.run_id.run_name) not in kept:
                store.remove_key(key)


@dataclass(frozen=True)
class _Part:
    """Some expectations of a suite and the columns they read (empty: the whole frame)."""

    columns: tuple[str, ...]
    order: dict[str | None, int]
    """The position in the whole suite of each of the part's expectations, by id."""
    suite: gx.ExpectationSuite
    batch_definition: Any

    def columns_of(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The part's columns of `frame`; a missing one is left to its expectation to report."""
        if not self.columns:
            return frame
        return frame[[c for c in self.columns if c in frame.columns]]


def _columns(expectation: Any) -> tuple[str, ...]:
    """The columns an expectation reads (none for a table expectation)."""
    kwargs = expectation.configuration.kwargs
    if kwargs.get("column_list"):
        return tuple(kwargs["column_list"])
    return tuple(kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k))


def _joined(
    suite: gx.ExpectationSuite,
    parts: Sequence[_Part],
    results: Sequence[ExpectationSuiteValidationResult],
) -> ExpectationSuiteValidationResult:
    """The results of a suite's parts over one frame as the suite's result over it, in the
    suite's order (GX returns a suite's results in an order of its own)."""
    placed = sorted(
        (
            (part.order[item.expectation_config.id], item)
            for part, result in zip(parts, results, strict=True)
            for item in result.results
        ),
        key=lambda pair: pair[0],
    )
    joined = results[0]
    joined.results = [item for _, item in placed]
    joined.success = all(result.success for result in results)
    joined.suite_name = suite.name
    return joined


def quote(name: str) -> str:
    """A SQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def describe(name: str, result: ExpectationValidationResult, unit: str = "rows") -> str:
    """One line for a failed expectation, e.g. `customer_rfm: expect_column_values_to_be_between
    r_score [1, 5]: 3 of 1,200 rows outside (e.g. 0, 6)`."""
    config = result.expectation_config
    kwargs = config.kwargs
    meta = config.meta or {}
    head = f"{name}: {config.type}{_subject(kwargs)}{_arguments(kwargs, meta)}"
    return f"{head}: {_outcome(config.type, result, unit)}"


def _config(docs_dir: Path) -> DataContextConfig:
    defaults = InMemoryStoreBackendDefaults()
    results_store = {
        "class_name": "ValidationResultsStore",
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(docs_dir / RESULTS_DIR),
        },
    }
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(docs_dir),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    return DataContextConfig(
        store_backend_defaults=defaults,
        stores={**defaults.stores, "gate_results": results_store},
        validation_results_store_name="gate_results",
        data_docs_sites={SITE: site},
        progress_bars=ProgressBarsConfig(globally=False),
        analytics_enabled=False,
    )


def _remove_empty_folders(root: Path) -> None:
    """Remove the folders under `root` left empty by pruned runs (deepest first)."""
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(folder.iterdir()):
            folder.rmdir()


def _safe_name(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", run_id) or "run"


def _batches(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any], batch_rows: int
) -> Iterator[pd.DataFrame]:
    """The query's record batches as frames. The reader is closed when the frames are done
    with, so the connection is free again even when validation stopped early."""
    with conn.sql(sql, params=params or None).to_arrow_reader(batch_rows) as reader:
        empty = True
        for batch in reader:
            if batch.num_rows:
                empty = False
                yield batch.to_pandas()
        if empty:
            yield reader.schema.empty_table().to_pandas()


def _partitions(
    conn: duckdb.DuckDBPyConnection,
    sql: str,
    params: list[Any],
    batch_rows: int,
    key: tuple[str, ...],
) -> Iterator[pd.DataFrame]:
    """The query's rows in hash partitions of the key, one frame per partition."""
    counted = conn.sql(f"select count(*) from ({sql})", params=params or None).fetchall()
    parts = max(1, -(-counted[0][0] // batch_rows))
    if parts == 1:
        yield conn.sql(sql, params=params or None).to_arrow_table().to_pandas()
        return
    bucket = f"hash({', '.join(quote(k) for k in key)}) % {parts}"
    for part in range(parts):
        partition = f"select * from ({sql}) where {bucket} = {part}"
        yield conn.sql(partition, params=params or None).to_arrow_table().to_pandas()


def _result_format(id_columns: Sequence[str]) -> dict[str, Any]:
    if id_columns:
        return {
            "result_format": "SUMMARY",
            "partial_unexpected_count": EXAMPLES,
            "unexpected_index_column_names": list(id_columns),
            "return_unexpected_index_query": False,
        }
    return {"result_format": "BASIC", "partial_unexpected_count": EXAMPLES}


def _merge(
    first: ExpectationSuiteValidationResult, second: ExpectationSuiteValidationResult
) -> ExpectationSuiteValidationResult:
    """The result of one suite over two frames, as if over their union."""
    others = {_expectation_id(r): r for r in second.results}
    if len(others) != len(first.results) or any(
        _expectation_id(r) not in others for r in first.results
    ):
        raise ValueError(f"{first.suite_name}: results of different suites cannot be merged")
    first.results = [_merge_one(r, others[_expectation_id(r)]) for r in first.results]
    first.success = bool(first.success and second.success)
    return first


def _expectation_id(result: ExpectationValidationResult) -> str:
    config = result.expectation_config
    return config.id or repr((config.type, sorted(config.kwargs.items(), key=str)))


def _merge_one(
    first: ExpectationValidationResult, second: ExpectationValidationResult
) -> ExpectationValidationResult:
    result = dict(first.result or {})
    other = second.result or {}
    for count in ("element_count", "unexpected_count", "missing_count"):
        if count in result or count in other:
            result[count] = result.get(count, 0) + other.get(count, 0)
    for examples in ("partial_unexpected_list", "partial_unexpected_index_list"):
        if examples in result or examples in other:
            result[examples] = [*(result.get(examples) or []), *(other.get(examples) or [])][
                :EXAMPLES
            ]
    if "partial_unexpected_counts" in result or "partial_unexpected_counts" in other:
        result["partial_unexpected_counts"] = _merge_counts(
            result.get("partial_unexpected_counts") or [],
            other.get("partial_unexpected_counts") or [],
        )
    if first.success and not second.success and "observed_value" in other:
        result["observed_value"] = other["observed_value"]
    exception_info = first.exception_info
    if not _raised(first) and _raised(second):
        exception_info = second.exception_info
    return ExpectationValidationResult(
        success=bool(first.success and second.success),
        expectation_config=first.expectation_config,
        result=result,
        meta=first.meta,
        exception_info=exception_info,
    )


def _merge_counts(first: list[dict], second: list[dict]) -> list[dict]:
    totals: dict[str, dict] = {}
    for item in [*first, *second]:
        entry = totals.setdefault(repr(item["value"]), {"value": item["value"], "count": 0})
        entry["count"] += item["count"]
    return sorted(totals.values(), key=lambda e: -e["count"])[:EXAMPLES]


def _raised(result: ExpectationValidationResult) -> bool:
    return _exception_message(result) is not None


def _exception_message(result: ExpectationValidationResult) -> str | None:
    """The error an expectation raised; GX nests it per metric when a metric failed."""
    info = result.exception_info or {}
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, dict) and entry.get("raised_exception"):
            return str(entry.get("exception_message") or "error")
    return None


def _finish(
    result: ExpectationSuiteValidationResult, run_identifier: RunIdentifier, rows: int
) -> None:
    """Percentages from the summed counts, redacted examples, statistics and run metadata."""
    for item in result.results:
        if item.result:
            _percentages(item.result)
        if (item.expectation_config.meta or {}).get("redact") and item.result:
            _redact_examples(item.result)
    evaluated = len(result.results)
    successful = sum(1 for r in result.results if r.success)
    result.statistics = {
        "evaluated_expectations": evaluated,
        "successful_expectations": successful,
        "unsuccessful_expectations": evaluated - successful,
        "success_percent": 100.0 * successful / evaluated if evaluated else None,
    }
    result.success = successful == evaluated
    result.meta["run_id"] = run_identifier
    result.meta["validation_time"] = run_identifier.run_time
    result.meta["rows"] = rows


def _percentages(result: dict[str, Any]) -> None:
    total = result.get("element_count")
    unexpected = result.get("unexpected_count")
    if total is None or unexpected is None:
        return
    missing = result.get("missing_count")
    present = total - (missing or 0)
    if "missing_percent" in result:
        result["missing_percent"] = 100.0 * (missing or 0) / total if total else None
    if "unexpected_percent_total" in result:
        result["unexpected_percent_total"] = 100.0 * unexpected / total if total else None
    if "unexpected_percent_nonmissing" in result:
        result["unexpected_percent_nonmissing"] = (
            100.0 * unexpected / present if present else None
        )
    if "unexpected_percent" in result:
        base = present if missing is not None else total
        result["unexpected_percent"] = 100.0 * unexpected / base if base else None


def _redact_examples(result: dict[str, Any]) -> None:
    result["partial_unexpected_list"] = [
        _redact(v) for v in result.get("partial_unexpected_list") or []
    ]
    result["partial_unexpected_counts"] = [
        {"value": _redact(c["value"]), "count": c["count"]}
        for c in result.get("partial_unexpected_counts") or []
    ]
    result["partial_unexpected_index_list"] = [
        {k: _redact(v) for k, v in row.items()}
        for row in result.get("partial_unexpected_index_list") or []
    ]


def _redact(value: Any) -> Any:
    """Digits after the first three masked: `tel 13812345678` → `tel 138********`."""
    if not isinstance(value, str):
        return value
    seen = 0
    out = []
    for char in value:
        if char.isdigit():
            seen += 1
            out.append(char if seen <= 3 else "*")
        else:
            out.append(char)
    return "".join(out)


_VERBS = {
    "expect_column_values_to_be_between": "outside",
    "expect_column_values_to_be_in_set": "outside",
    "expect_column_values_to_not_be_in_set": "inside",
    "expect_column_values_to_not_be_null": "null",
    "expect_column_values_to_be_null": "not null",
    "expect_column_values_to_be_unique": "duplicated",
    "expect_compound_columns_to_be_unique": "duplicated",
    "expect_column_values_to_match_regex": "not matching",
    "expect_column_values_to_not_match_regex": "matching",
    "expect_column_pair_values_a_to_be_greater_than_b": "failing",
}
_NO_EXAMPLES = {"expect_column_values_to_not_be_null"}
_SET_SHOWN = 6


def _subject(kwargs: dict[str, Any]) -> str:
    if "column_list" in kwargs:
        return " (" + ", ".join(kwargs["column_list"]) + ")"
    if "column_A" in kwargs:
        return f" {kwargs['column_A']}, {kwargs['column_B']}"
    if "column" in kwargs:
        return f" {kwargs['column']}"
    return ""


def _arguments(kwargs: dict[str, Any], meta: dict[str, Any]) -> str:
    if meta.get("label"):
        return f" ({meta['label']})"
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and high is not None:
        return f" [{_show(low)}, {_show(high)}]"
    if low is not None:
        return f" {'>' if kwargs.get('strict_min') else '≥'} {_show(low)}"
    if high is not None:
        return f" {'<' if kwargs.get('strict_max') else '≤'} {_show(high)}"
    if kwargs.get("value_set") is not None:
        values = list(kwargs["value_set"])
        shown = ", ".join(_show(v) for v in values[:_SET_SHOWN])
        more = f", … ({len(values)} values)" if len(values) > _SET_SHOWN else ""
        return f" {{{shown}{more}}}"
    if "regex" in kwargs:
        return f" /{kwargs['regex']}/"
    if "or_equal" in kwargs:
        return " (A ≥ B)" if kwargs["or_equal"] else " (A > B)"
    if "value" in kwargs:
        return f" = {_show(kwargs['value'])}"
    return ""


def _outcome(kind: str, result: ExpectationValidationResult, unit: str) -> str:
    message = _exception_message(result)
    if message is not None:
        return "raised " + message.splitlines()[0][:200]
    data = result.result or {}
    if data.get("unexpected_count") is not None and data.get("element_count") is not None:
        verb = _VERBS.get(kind, "unexpected")
        line = f"{data['unexpected_count']:,} of {data['element_count']:,} {unit} {verb}"
        examples = [] if kind in _NO_EXAMPLES else _examples(data, result.expectation_config.kwargs)
        return f"{line} (e.g. {', '.join(examples)})" if examples else line
    if "observed_value" in data:
        return f"observed {_show(data['observed_value'])}"
    return "column missing" if kind == "expect_column_to_exist" else "failed"


def _examples(data: dict[str, Any], kwargs: dict[str, Any]) -> list[str]:
    values = list(data.get("partial_unexpected_list") or [])[:EXAMPLES]
    ids = list(data.get("partial_unexpected_index_list") or [])
    id_columns = list(data.get("unexpected_index_column_names") or [])
    if not id_columns and ids and isinstance(ids[0], dict):
        # GX leaves the names out for some expectations (expect_column_values_to_be_null)
        # but still gives each example's id columns, beside the checked column itself.
        id_columns = [c for c in ids[0] if c != kwargs.get("column")]
    shown = []
    for i, value in enumerate(values):
        where = ""
        if i < len(ids) and id_columns:
            where = " (" + ", ".join(f"{c}={_show(ids[i].get(c))}" for c in id_columns) + ")"
        shown.append(_show(value) + where)
    return shown


def _show(value: Any) -> str:
    if isinstance(value, float | np.floating):
        number = float(value)
        return str(int(number)) if number.is_integer() else f"{number:.4g}"
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"
