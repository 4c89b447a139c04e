"""The dbt models as Dagster assets, their tests as asset checks: one `dbt build` per step.

The dbt sources of the three landing-zone systems are the ingestion assets themselves
(`raw/<source>/<entity>`), so ingestion and the models form one lineage graph; the load log
and the quarantine are `raw/_loads` and `raw/_quarantine`. A model's key is
`<schema>/<name>` (its relation in the build database: staging, intermediate, marts) and
its group the layer folder it lives in.

The as-of date is the run's (orchestration/defs/as_of.py: config `as_of`, else the run tag
`cdp/as_of`, else the `CDP_AS_OF` setting); the run's config may add dbt vars (`vars`, a
YAML or JSON mapping, e.g. a threshold of docs/rules.md). The dbt subprocess writes the
build database; this process never opens it while dbt runs (DuckDB allows one writer
process per file).
"""

import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import dagster as dg
import yaml
from dagster_dbt import (
    DagsterDbtTranslator,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from packaging.version import Version

from cdp.publish import last_published_as_of
from cdp.purchase_model import steps as purchase_model
from cdp.settings import Settings, SettingsError, parse_date
from ingestion.contracts import ENTITIES, SOURCES, entity
from ingestion.warehouse import WarehouseBusy
from orchestration.dbt_manifest import PROJECT_DIR, dbt_executable, prepare_manifest
from orchestration.dbt_vars import problem
from orchestration.defs.as_of import resolve_as_of
from orchestration.defs.ingestion import _progress, asset_key
from orchestration.defs.resources import Warehouse

LAYERS = ("staging", "intermediate", "marts")
INGESTION_SOURCE = "ingestion"
"""The dbt source of ingestion's own tables, `raw._loads` and `raw._quarantine`."""
PURCHASE_MODEL = (
    "intermediate.int_purchase_model__parameters",
    "intermediate.int_customers__qualifying_orders",
)
"""The purchase model's parameter history (a Python model of the build, rules §7) and the
orders it is fitted on: the run log says what D's fit gave, read back after the build."""
OP_NAME = "dbt_models"
DBT_TARGET = "dbt-target"
"""dbt's artifacts and log of the last build, beside the build database (one folder, reused
by every run, rather than one new folder per run under dbt_project/target)."""
SUMMARY_TAG = "cdp/dbt_build"
"""The run tag holding the build's count line (`68 models, 126 tests passed, 0 failed in
16.8s`): for `cdp run`'s summary and the runs list, which shows it as it is."""


@contextmanager
def _environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a call (DbtCliResource and dagster-dbt's
    preparer hand dbt a copy of os.environ)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


DBT_PROJECT = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
if not DBT_PROJECT.preparer.using_dagster_dev():
    prepare_manifest()  # a no-op when target/manifest.json is newer than every project file
# Under `dagster dev`, dagster-dbt parses on every load; its preparer runs `dbt` from PATH,
# which need not hold the venv's bin folder (`.venv/bin/dagster dev`, `cdp ui`).
_VENV_BIN = str(Path(dbt_executable()).parent)
with _environ({"PATH": os.pathsep.join([_VENV_BIN, os.environ.get("PATH", "")])}):
    DBT_PROJECT.prepare_if_dev()


def _layer(props: Mapping[str, Any]) -> str | None:
    fqn = props.get("fqn") or []
    return fqn[1] if len(fqn) > 2 and fqn[1] in LAYERS else None


def test_description(test: Mapping[str, Any]) -> str:
    """What a dbt data test checks, in words: its own description, else one made from the
    generic test and its arguments (e.g. "`status` is one of: issued, control")."""
    if test.get("description", "").strip():
        return " ".join(test["description"].split())
    meta = test.get("test_metadata") or {}
    kwargs = meta.get("kwargs") or {}
    column = f"`{kwargs.get('column_name')}`"
    match meta.get("name"):
        case "not_null":
            return f"{column} is never null"
        case "unique":
            return f"{column} is unique: one row per value"
        case "accepted_values":
            return f"{column} is one of: {', '.join(map(str, kwargs.get('values', [])))}"
        case "relationships":
            target = re.sub(r"^ref\('(.+)'\)$", r"\1", str(kwargs.get("to", "")))
            return f"every {column} is a `{kwargs.get('field')}` of `{target}`"
        case "cdp_unique_combination":
            return f"one row per ({', '.join(kwargs.get('columns', []))})"
    return f"dbt test `{test.get('name', '')}`"


class CdpDbtTranslator(DagsterDbtTranslator):
    """Sources are the ingestion assets; models are `<schema>/<name>`, grouped by layer."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        props = dbt_resource_props
        if props["resource_type"] == "source":
            source, table = props["source_name"], props["name"]
            if source in SOURCES:
                return asset_key(entity(f"{source}/{table}"))
            if source == INGESTION_SOURCE:
                return dg.AssetKey(["raw", table])
            return super().get_asset_key(props)
        if props["resource_type"] in ("model", "seed", "snapshot"):
            return dg.AssetKey([props["schema"], props["name"]])
        return super().get_asset_key(props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return dbt_resource_props["schema"]
        return _layer(dbt_resource_props) or super().get_group_name(dbt_resource_props)

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        """A dbt test's check says what it checks (the UI shows no test SQL)."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        test = manifest["nodes"].get(unique_id, {})
        if spec is None or spec.description:
            return spec
        return spec._replace(description=test_description(test))

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        """A seed (the action catalog operators edit) is read by the night's build like the
        extracts: it comes after them, in the same `dbt build` as the models. Without upstream
        assets Dagster would give it a step, and a dbt start-up, of its own before ingestion."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        if manifest["nodes"].get(unique_id, {}).get("resource_type") == "seed":
            spec = spec.merge_attributes(deps=[asset_key(e) for e in ENTITIES])
        return spec


class DbtBuildConfig(dg.Config):
    as_of: str = ""
    """The run's as-of date D (YYYY-MM-DD); empty means the run's `cdp/as_of` tag, else the
    `CDP_AS_OF` setting (or today)."""
    vars: str = ""
    """Extra dbt vars for this run, a YAML or JSON mapping, e.g. `{identity_max_links: 5}`."""


def dbt_vars(
    config: DbtBuildConfig, settings: Settings, as_of: date, last_published: date | None = None
) -> dict[str, Any]:
    """The `--vars` of the build: D, the WeCom tag prefix (settings) and the as-of date of the
    last publish (the histories rewind to it), the config's extra vars over them."""
    extra: Any = {}
    if config.vars.strip():
        try:
            extra = yaml.safe_load(config.vars)
        except yaml.YAMLError as exc:
            first = str(exc).strip().splitlines()[0]
            raise SettingsError(f"vars: not YAML or JSON ({first})") from None
        if not isinstance(extra, dict):
            raise SettingsError(f"vars: {config.vars!r} is not a mapping of var names to values")
        wrong = problem(extra)
        if wrong:
            raise SettingsError(f"vars: {wrong}")
    if "as_of" in extra:
        extra["as_of"] = parse_date(str(extra["as_of"]), "vars: as_of").isoformat()
    return {
        "as_of": as_of.isoformat(),
        "wecom_tag_prefix": settings.wecom.tag_prefix,
        "last_published_as_of": last_published.isoformat() if last_published else "",
        **extra,
    }


RUN_DATE_VARS = ("as_of", "last_published_as_of")
"""The vars that change from night to night. They reach dbt as environment variables
(`CDP_AS_OF`, `CDP_LAST_PUBLISHED_AS_OF`, read by macros/as_of.sql only while executing),
not as --vars: any change of --vars makes dbt parse the whole project again (~4 s a build)."""
BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]
"""The nightly `dbt build`: models and data tests. The unit tests check the SQL on fixed
rows, not the night's data; `make test` runs them (tests/test_dbt_assets.py), as dbt advises
(unit tests in development and CI, not in production)."""


def split_vars(build_vars: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The build's vars as (--vars, environment): the run dates travel in the environment."""
    cli = {k: v for k, v in build_vars.items() if k not in RUN_DATE_VARS}
    env = {f"CDP_{k.upper()}": str(build_vars.get(k) or "") for k in RUN_DATE_VARS}
    return cli, env


def dbt_environment(warehouse: Warehouse, settings: Settings) -> dict[str, str]:
    """What profiles.yml reads: the warehouse folder (absolute), DuckDB threads and memory.
    dbt.log keeps dbt's info-level lines: its debug lines (every query, every event) cost a
    build on small data about a quarter of its time."""
    return {
        "CDP_WAREHOUSE_DIR": str(warehouse.build_database.parent.resolve()),
        "CDP_THREADS": str(warehouse.threads or settings.threads or os.cpu_count() or 1),
        "CDP_MEMORY_LIMIT": warehouse.memory_limit or settings.memory_limit,
        "DBT_LOG_LEVEL_FILE": "info",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }


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
        layer = _layer(node) if node else None
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
    return run_results.get("elapsed_time", 0.0), _purchase_model_seconds(run_results)


def _run_results(invocation: DbtCliInvocation) -> Mapping[str, Any] | None:
    try:
        return invocation.get_artifact("run_results.json")
    except (FileNotFoundError, ValueError):
        return None


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=CdpDbtTranslator(),
    name=OP_NAME,
)
def dbt_models(
    context: dg.AssetExecutionContext,
    config: DbtBuildConfig,
    dbt: DbtCliResource,
    warehouse: Warehouse,
):
    say = _progress(context)  # the run's log and the plain progress logger, like ingestion
    as_of = resolve_as_of(config.as_of, context)
    try:
        settings = Settings.from_env()
        last_published = last_published_as_of(warehouse.build_database.parent)
        build_vars = dbt_vars(config, settings, as_of, last_published)
    except SettingsError as exc:
        raise dg.Failure(description=str(exc)) from None
    # Open the build database once before dbt does: a clear message when another process holds
    # it, and the raw schema exists even before the first ingestion. Closed before dbt starts.
    try:
        with warehouse.connect():
            pass
    except WarehouseBusy as exc:
        raise dg.Failure(description=str(exc)) from None
    cli_vars, run_dates = split_vars(build_vars)
    environment = {**dbt_environment(warehouse, settings), **run_dates}
    say(
        f"dbt build as of {build_vars['as_of']} (threads {environment['CDP_THREADS']}, "
        f"memory {environment['CDP_MEMORY_LIMIT']})"
    )
    started = time.perf_counter()
    with _environ(environment):
        invocation = dbt.cli(
            [*BUILD_ARGS, "--vars", json.dumps(cli_vars)],
            context=context,
            raise_on_error=False,
            target_path=warehouse.build_database.parent / DBT_TARGET,
        )
        progress = BuildProgress(manifest=invocation.manifest, say=say, started=started)
        for event in invocation.stream_raw_events():
            progress.see(event.raw_event)
            yield from event.to_default_asset_events(
                manifest=invocation.manifest,
                dagster_dbt_translator=invocation.dagster_dbt_translator,
                context=context,
                target_path=invocation.target_path,
                project=invocation.project,
            )
    run_results = _run_results(invocation)
    outcome = progress.finish(run_results, invocation.process.wait())
    _report_purchase_model(context, warehouse, as_of, say)
    for failure in outcome.failures:
        say(f"dbt build: FAILED {failure}")
    say(outcome.line)
    context.instance.add_run_tags(
        context.run_id, {SUMMARY_TAG: outcome.line.removeprefix("dbt build: ")}
    )
    if outcome.failures:
        raise dg.Failure(
            description=outcome.failures[0],
            metadata={"dbt_failures": "\n".join(outcome.failures), "summary": outcome.line},
        )


def _purchase_model_seconds(run_results: Mapping[str, Any] | None) -> float:
    """The seconds dbt spent on the purchase model's two Python models (the benchmark's
    `model_fit` stage, apart from the rest of the build)."""
    return sum(
        result.get("execution_time", 0.0)
        for result in (run_results or {}).get("results", [])
        if result.get("unique_id", "").split(".")[-1].startswith("int_purchase_model__")
    )


def _report_purchase_model(
    context: dg.AssetExecutionContext, warehouse: Warehouse, as_of: date, say: Callable[[str], None]
) -> None:
    """What the build's purchase model fitted as of D, in the run log (a warning when a model
    kept earlier parameters or nothing was fitted)."""
    with warehouse.connect() as conn:
        lines, warnings = purchase_model.report(conn, *PURCHASE_MODEL, as_of)
    for line in lines:
        say(f"purchase model {line}" if line.startswith("as of") else f"purchase model: {line}")
        if line in warnings:
            context.log.warning(f"purchase model: {line}")


class CdpDbtCliResource(DbtCliResource):
    """dagster-dbt runs `dbt --version` (a child process, ~1.5 s) in every run to tell dbt
    Core from the Fusion engine; `dbt_executable()` is the venv's own dbt Core, whose version
    the installed package states."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(package_version("dbt-core"))


defs = dg.Definitions(
    assets=[dbt_models],
    resources={
        "dbt": CdpDbtCliResource(
            project_dir=DBT_PROJECT, profiles_dir=str(PROJECT_DIR), dbt_executable=dbt_executable()
        )
    },
)
