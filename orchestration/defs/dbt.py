"""The dbt models as Dagster assets, their tests as asset checks: one `dbt build` per step.

Keys and groups (the ingestion assets are the dbt sources; a model is `<schema>/<name>` in
its layer's group) come from the translator, orchestration/lib/dbt/translator.py; the
progress lines and the count line from orchestration/lib/dbt/build_log.py.

The as-of date is the run's (orchestration/lib/as_of.py: config `as_of`, else the run tag
`cdp/as_of`, else the `CDP_AS_OF` setting); the run's config may add dbt vars (`vars`, a
YAML or JSON mapping, e.g. a threshold of docs/rules.md; orchestration/dbt_vars.py). The dbt
subprocess writes the build database; this process never opens it while dbt runs (DuckDB
allows one writer process per file). On Spark (`CDP_ENGINE=spark`) dbt writes Spark's tables,
which then become views of the build database (cdp/spark/tables.py).
"""

import json
import os
import time
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, dbt_assets

from cdp.publish import last_published_as_of
from cdp.purchase_model import steps as purchase_model
from cdp.settings import Settings, SettingsError
from cdp.spark import tables as spark_tables
from ingestion.warehouse import WarehouseBusy
from orchestration import dbt_vars
from orchestration.dbt_manifest import TELEMETRY_OFF, seed_partial_parse
from orchestration.defs.resources import Warehouse
from orchestration.lib.as_of import resolve_as_of
from orchestration.lib.dbt.build_log import DBT_TARGET, SUMMARY_TAG, BuildProgress
from orchestration.lib.dbt.project import DBT_PROJECT, environ, manifest
from orchestration.lib.dbt.translator import CdpDbtTranslator
from orchestration.lib.progress import progress

PURCHASE_MODEL = (
    "intermediate.int_purchase_model__parameters",
    "intermediate.int_customers__qualifying_orders",
)
"""The purchase model's parameter history (a Python model of the build, rules §7) and the
orders it is fitted on: the run log says what D's fit gave, read back after the build."""
OP_NAME = "dbt_models"
BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]
"""The nightly `dbt build`: models and data tests. The unit tests check the SQL on fixed
rows, not the night's data; `make test` runs them (tests/test_dbt_assets.py), as dbt advises
(unit tests in development and CI, not in production)."""


class DbtBuildConfig(dg.Config):
    as_of: str = ""
    """The run's as-of date D (YYYY-MM-DD); empty means the run's `cdp/as_of` tag, else the
    `CDP_AS_OF` setting (or today)."""
    vars: str = ""
    """Extra dbt vars for this run, a YAML or JSON mapping, e.g. `{identity_max_links: 5}`."""


def dbt_environment(warehouse: Warehouse, settings: Settings) -> dict[str, str]:
    """What profiles.yml reads: the target (the engine setting), the warehouse folder
    (absolute), DuckDB threads and memory.
    dbt.log keeps dbt's info-level lines: its debug lines (every query, every event) cost a
    build on small data about a quarter of its time. It keeps them as plain text, as a person
    reads them: dagster-dbt reads the JSON lines of dbt's output, and writing each line as
    JSON a second time (about 400 a night) cost a build on small data 0.2-0.4 s of CPU."""
    return {
        **settings.engine.dbt_environment(),
        "CDP_WAREHOUSE_DIR": str(warehouse.build_database.parent.resolve()),
        "CDP_THREADS": str(warehouse.threads or settings.threads or os.cpu_count() or 1),
        "CDP_MEMORY_LIMIT": warehouse.memory_limit or settings.memory_limit,
        "DBT_LOG_LEVEL_FILE": "info",
        "DBT_LOG_FORMAT_FILE": "text",
        "DBT_USE_COLORS_FILE": "false",
        **TELEMETRY_OFF,
    }


def _run_results(invocation: DbtCliInvocation) -> Mapping[str, Any] | None:
    try:
        return invocation.get_artifact("run_results.json")
    except (FileNotFoundError, ValueError):
        return None


@dbt_assets(
    manifest=manifest(),
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
    say = progress(context)  # the run's log and the plain progress logger, like ingestion
    as_of = resolve_as_of(config.as_of, context)
    try:
        settings = Settings.from_env()
        last_published = last_published_as_of(warehouse.build_database.parent)
        build_vars = dbt_vars.build_vars(config.vars, settings, as_of, last_published)
    except SettingsError as exc:
        raise dg.Failure(description=str(exc)) from None
    # Open the build database once before dbt does: a clear message when another process holds
    # it, and the raw schema exists even before the first ingestion. Closed before dbt starts.
    try:
        with warehouse.connect():
            pass
    except WarehouseBusy as exc:
        raise dg.Failure(description=str(exc)) from None
    cli_vars, run_dates = dbt_vars.split_vars(build_vars)
    environment = {**dbt_environment(warehouse, settings), **run_dates}
    say(
        f"dbt build as of {build_vars['as_of']} (threads {environment['CDP_THREADS']}, "
        f"memory {environment['CDP_MEMORY_LIMIT']})"
    )
    started = time.perf_counter()
    # absolute: dbt reads a relative target path from the project's folder, not from ours
    target_path = (warehouse.build_database.parent / DBT_TARGET).resolve()
    with environ(environment):
        seed_partial_parse(target_path, os.environ)
        invocation = dbt.cli(
            [*BUILD_ARGS, "--vars", json.dumps(cli_vars)],
            context=context,
            raise_on_error=False,
            target_path=target_path,
        )
        build_log = BuildProgress(manifest=invocation.manifest, say=say, started=started)
        for event in invocation.stream_raw_events():
            build_log.see(event.raw_event)
            yield from event.to_default_asset_events(
                manifest=invocation.manifest,
                dagster_dbt_translator=invocation.dagster_dbt_translator,
                context=context,
                target_path=invocation.target_path,
                project=invocation.project,
            )
    run_results = _run_results(invocation)
    outcome = build_log.finish(run_results, invocation.process.wait())
    if settings.engine.engine == "spark":
        _attach_spark_tables(warehouse, invocation.manifest, say)
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


def _attach_spark_tables(
    warehouse: Warehouse, dbt_manifest: Mapping[str, Any], say: Callable[[str], None]
) -> None:
    """On Spark: the build's tables as views of the build database (cdp/spark/tables.py),
    which the purchase model's report, the gate and the publish read."""
    with warehouse.connect() as conn:
        attached = spark_tables.attach(
            conn, warehouse.build_database.parent, spark_tables.built_tables(dbt_manifest)
        )
    say(f"Spark's tables: {len(attached)} attached to the build database (views of their Parquet)")


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
