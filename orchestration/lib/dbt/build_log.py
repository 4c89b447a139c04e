"""What `dbt build` said: progress lines from its log events, then the count line and the
failures from run_results.json (`cdp run`, the run's log and the runs list show them), and the
seconds the benchmark reads. Plain Python over dbt's JSON: no Dagster.
"""

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestration.lib.dbt.translator import layer as layer_of

DBT_TARGET = "dbt-target"
"""dbt's artifacts and log of the last build, beside the build database (one folder, reused
by every run, rather than one new folder per run under dbt_project/target)."""
SUMMARY_TAG = "cdp/dbt_build"
"""The run tag holding the build's count line (`68 models, 126 tests passed, 0 failed in
16.8s`): for `cdp run`'s summary and the runs list, which shows it as it is."""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ERROR_HEADER = re.compile(r"^[\w ]*(Error|Failure) in \w+ \S+( \(.*\))?$")


def first_line(message: str | None) -> str:
    """The first informative line of a dbt message: not dbt's "X Error in model m (path)"
    header, and for a Python traceback the exception line ("Python model failed: E: ...")."""
    lines = [line.strip() for line in _ANSI.sub("", message or "").splitlines() if line.strip()]
    if len(lines) > 1 and _ERROR_HEADER.match(lines[0]):
        lines = lines[1:]
    if not lines:
        return "(no message)"
    if len(lines) > 2 and lines[1].startswith("Traceback (most recent call last)"):
        return f"{lines[0]} {lines[-1]}"
    return lines[0]


@dataclass
class BuildProgress:
    """Follows one `dbt build`: a line when a layer starts, counts, the failures."""

    manifest: Mapping[str, Any]
    say: Callable[[str], None]
    started: float = field(default_factory=time.perf_counter)
    layers_seen: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    """dbt's error-level log lines (used when no node result explains a failure)."""

    def node(self, unique_id: str) -> Mapping[str, Any]:
        return (
            self.manifest.get("nodes", {}).get(unique_id)
            or self.manifest.get("unit_tests", {}).get(unique_id)
            or {}
        )

    def see(self, raw_event: Mapping[str, Any]) -> None:
        info, data = raw_event["info"], raw_event.get("data", {})
        if info.get("level") == "error":
            self.errors.append(info.get("msg", ""))
        if info.get("name") not in ("LogStartLine", "NodeStart"):
            return
        node = self.node(data.get("node_info", {}).get("unique_id", ""))
        layer = layer_of(node) if node else None
        if layer and layer not in self.layers_seen:
            self.layers_seen.add(layer)
            self.say(f"dbt build: {layer} started")

    def label(self, unique_id: str) -> str:
        node = self.node(unique_id)
        kind = node.get("resource_type") or unique_id.split(".")[0]
        if kind in ("model", "seed", "snapshot"):
            return f"{kind} {node.get('schema')}.{node.get('alias') or node.get('name')}"
        if kind == "unit_test":
            return f"unit test {node.get('model')}::{node.get('name')}"
        return f"{kind} {node.get('name') or unique_id}"

    def finish(self, run_results: Mapping[str, Any] | None, returncode: int) -> "BuildOutcome":
        counts = {"models": 0, "passed": 0, "warned": 0, "failed": 0, "skipped": 0}
        failures = []
        for result in (run_results or {}).get("results", []):
            kind, status = result["unique_id"].split(".")[0], result["status"]
            if status in ("error", "fail", "runtime error"):
                counts["failed"] += 1
                label, message = self.label(result["unique_id"]), result.get("message")
                failures.append(f"{label}: {first_line(message)}")
            elif status == "skipped":
                counts["skipped"] += 1
            elif status == "warn":
                counts["warned"] += 1
            elif kind in ("test", "unit_test"):
                counts["passed"] += 1
            elif kind in ("model", "seed", "snapshot"):
                counts["models"] += 1
        if returncode != 0 and not failures:
            detail = next((first_line(m) for m in self.errors if m.strip()), None)
            failures.append(detail or f"dbt build failed with exit code {returncode}")
        seconds = time.perf_counter() - self.started
        return BuildOutcome(line=count_line(counts, seconds), failures=failures)


@dataclass(frozen=True)
class BuildOutcome:
    line: str
    failures: list[str]


def count_line(counts: Mapping[str, int], seconds: float) -> str:
    """`dbt build: 31 models, 79 tests passed, 0 failed in 12.3s` (warned and skipped when
    there are any)."""
    line = f"dbt build: {counts['models']} models, {counts['passed']} tests passed"
    line += "".join(f", {counts[k]} {k}" for k in ("warned",) if counts[k])
    line += f", {counts['failed']} failed"
    line += "".join(f", {counts[k]} {k}" for k in ("skipped",) if counts[k])
    return line + f" in {seconds:.1f}s"


def build_summary(tags: Mapping[str, str]) -> str | None:
    """The build's count line, `dbt build: …`, from the run's tags (None before a build)."""
    line = tags.get(SUMMARY_TAG)
    return f"dbt build: {line}" if line else None


def build_seconds(warehouse_dir: Path) -> tuple[float, float]:
    """The last build's seconds from dbt's run_results.json (beside the build database):
    dbt's own elapsed time, and the part of it the purchase model's models took."""
    path = Path(warehouse_dir) / DBT_TARGET / "run_results.json"
    if not path.exists():
        return 0.0, 0.0
    run_results = json.loads(path.read_text(encoding="utf-8"))
    return run_results.get("elapsed_time", 0.0), purchase_model_seconds(run_results)


def purchase_model_seconds(run_results: Mapping[str, Any] | None) -> float:
    """The seconds dbt spent on the purchase model's two Python models (the benchmark's
    `model_fit` stage, apart from the rest of the build)."""
    return sum(
        result.get("execution_time", 0.0)
        for result in (run_results or {}).get("results", [])
        if result.get("unique_id", "").split(".")[-1].startswith("int_purchase_model__")
    )
