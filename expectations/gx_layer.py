"""A thin layer over GX Core 1.x: one context per gate run, small frames in, compact results out.

The gate never hands GX a table. DuckDB computes what a check needs (a row per file, per
snapshot, per tier; for a published table one row of counts) and `GxRun.validate` runs one
suite over that small frame, stores the result for the Data Docs and returns a `Validation`
with one line per failed expectation. `build_docs` writes the Data Docs site.

Data Docs live in `docs_dir`: `index.html` lists the validations of the last `keep_runs`
gate runs, newest first; the validation results they are rendered from are kept as JSON in
`docs_dir/.gx_results` (older runs are pruned, and GX removes their pages).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

EXAMPLES = 3
KEEP_RUNS = 30
SITE = "gate"
RESULTS_DIR = ".gx_results"

Describe = Callable[[ExpectationValidationResult], str]
"""One line for a failed expectation of a validation."""


@dataclass(frozen=True)
class Validation:
    """The compact outcome of one suite over one frame."""

    name: str
    suite: str
    passed: bool
    failures: list[str]
    evaluated: int
    rows: int
    seconds: float
    query_seconds: float = 0.0
    """The seconds DuckDB took to compute the frame (`seconds`: GX's validation of it)."""


class GxRun:
    """One gate run: an ephemeral GX context whose results and Data Docs go to `docs_dir`."""

    def __init__(self, docs_dir: Path, run_id: str, *, keep_runs: int = KEEP_RUNS) -> None:
        self.docs_dir = Path(docs_dir).resolve()
        self.keep_runs = keep_runs
        self.run_identifier = RunIdentifier(
            run_name=_safe_name(run_id), run_time=dt.datetime.now(dt.timezone.utc)
        )
        self.context = gx.get_context(mode="ephemeral", project_config=_config(self.docs_dir))
        # One asset and batch definition for every frame of the run: GX serialises its whole
        # configuration each time one is added, which cost a night about a second.
        self._frames = (
            self.context.data_sources.add_pandas("frames")
            .add_dataframe_asset("frame")
            .add_batch_definition_whole_dataframe("frame")
        )
        self._identifiers: list[ValidationResultIdentifier | ExpectationSuiteIdentifier] = []

    def validate(
        self,
        name: str,
        frame: pd.DataFrame,
        suite: gx.ExpectationSuite,
        *,
        id_columns: Sequence[str] = (),
        unit: str = "rows",
        describe_failure: Describe | None = None,
    ) -> Validation:
        """Validate `frame` against `suite`, store the result for the Data Docs and describe
        each failed expectation in one line starting with `name` (by `describe_failure` when
        given). `id_columns` are shown beside failing examples (e.g. the file of a
        quarantine rate)."""
        started = time.perf_counter()
        suite = self.context.suites.add(suite)
        batch = self._frames.get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(suite, result_format=_result_format(id_columns))
        _finish(result, self.run_identifier, len(frame))
        identifier = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
            run_id=self.run_identifier,
            batch_identifier=suite.name,
        )
        self.context.validation_results_store.set(identifier, result)
        self._identifiers += [identifier, ExpectationSuiteIdentifier(name=suite.name)]
        line = describe_failure or (lambda item: describe(name, item, unit))
        return Validation(
            name=name,
            suite=suite.name,
            passed=bool(result.success),
            failures=[line(item) for item in result.results if not item.success],
            evaluated=len(result.results),
            rows=len(frame),
            seconds=time.perf_counter() - started,
        )

    def build_docs(self) -> Path:
        """Render the validations and suites of this gate run, and those stored earlier under
        the same run id (the inputs', validated before the build), and the index; returns
        index.html."""
        self._prune()
        store = self.context.validation_results_store
        earlier = [
            key
            for key in store.list_keys()
            if key.run_id.run_name == self.run_identifier.run_name
            and key.run_id.run_time != self.run_identifier.run_time
        ]
        self.context.build_data_docs(
            site_names=[SITE], resource_identifiers=[*self._identifiers, *earlier]
        )
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


def _result_format(id_columns: Sequence[str]) -> dict[str, Any]:
    if id_columns:
        return {
            "result_format": "SUMMARY",
            "partial_unexpected_count": EXAMPLES,
            "unexpected_index_column_names": list(id_columns),
            "return_unexpected_index_query": False,
        }
    return {"result_format": "BASIC", "partial_unexpected_count": EXAMPLES}


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
    """Run metadata for the Data Docs."""
    result.meta["run_id"] = run_identifier
    result.meta["validation_time"] = run_identifier.run_time
    result.meta["rows"] = rows


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
