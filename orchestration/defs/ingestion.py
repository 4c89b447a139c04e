"""Ingestion assets: one asset per source entity, partitioned by extract date.

One multi-asset step loads the selected entities for every partition of the run (a single
run can cover a range of dates: `cdp run` and backfills use that). A partition that is
already loaded is skipped unless the run's config says `reload: true`, which replaces the
rows of those extract dates.

Freshness: each entity carries a freshness policy. By 03:00 Asia/Shanghai (an hour after the
nightly schedule) it should have been loaded within the last 24 hours; otherwise the UI shows
it stale (the nightly run did not happen, or failed before loading). The quality gate, not
freshness, blocks publishing.

On Spark (`CDP_ENGINE=spark`) the extracts are read on the run's Spark session into the
raw tables' Parquet folders; the load log stays in the build database
(ingestion/spark_loader.py).

Errors: every unreadable file fails the step after the others are loaded, one line each
(file, line or OS error) in the failure's `unreadable` metadata; a build database that cannot
be written (a full disk) stops it with one line naming the entity, the files, the database
and the error. A folder whose name is not an extract date is skipped with a warning.
"""

from contextlib import ExitStack
from datetime import date, timedelta

import dagster as dg
import duckdb

from cdp.settings import Settings
from ingestion.contracts import ENTITIES, Entity
from ingestion.errors import IngestionStopped
from ingestion.loader import EntityStats, IngestReport, ingest
from ingestion.spark_loader import ingest_on_spark
from ingestion.warehouse import WarehouseBusy
from orchestration.defs.partitions import extract_dates
from orchestration.defs.resources import LandingZone, Spark, Warehouse
from orchestration.lib.asset_keys import asset_key
from orchestration.lib.progress import progress

GROUP = "ingestion"
FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 3 * * *", lower_bound_delta=timedelta(hours=24), timezone="Asia/Shanghai"
)


class IngestConfig(dg.Config):
    reload: bool = False
    """Load the run's extract dates again, replacing their rows (for corrected files)."""


def _metadata(stats: EntityStats) -> dict[str, int | float]:
    return {
        "files": stats.files,
        "rows": stats.rows,
        "quarantined": stats.quarantined,
        "bytes": stats.bytes,
        "seconds": round(stats.seconds, 3),
        "rows_per_second": round(stats.rows_per_second),
    }


LOG_TABLES = {
    dg.AssetKey(["raw", "_loads"]): "`raw._loads`: one row per extract file loaded (extract "
    "date, entity, rows, encoding, when), which the next run reads to skip what it holds.",
    dg.AssetKey(["raw", "_quarantine"]): "`raw._quarantine`: every row that broke its "
    "contract, with its file, line, reasons and the record as text.",
}
"""Ingestion's own tables, written in the same step as the extracts' (the dbt source
`ingestion`): assets of this step, so the lineage starts in the ingestion group."""


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            asset_key(e),
            group_name=GROUP,
            kinds={"duckdb"},
            description=(
                f"`raw.{e.table}`: the {e.kind} extract `{e.source}/<date>/{e.file_name}`, "
                f"key ({', '.join(e.key)}), rows that pass the row contract; the others are "
                "in `raw._quarantine`."
            ),
            metadata={"table": f"raw.{e.table}", "kind": e.kind, "key": list(e.key)},
            freshness_policy=FRESHNESS,
        )
        for e in ENTITIES
    ]
    + [
        dg.AssetSpec(key, group_name=GROUP, kinds={"duckdb"}, description=description)
        for key, description in LOG_TABLES.items()
    ],
    partitions_def=extract_dates,
    backfill_policy=dg.BackfillPolicy.single_run(),
    can_subset=True,
)
def landing_zone(
    context: dg.AssetExecutionContext,
    config: IngestConfig,
    landing: LandingZone,
    warehouse: Warehouse,
    spark: Spark,
):
    dates = [date.fromisoformat(k) for k in context.partition_keys]
    entities = [e for e in ENTITIES if asset_key(e) in context.selected_asset_keys]
    with ExitStack() as stack:
        try:
            conn = stack.enter_context(warehouse.connect(ingesting=True))
        except (WarehouseBusy, duckdb.Error, OSError) as exc:
            message = f"ingestion stopped: cannot open {warehouse.build_database}: {_one_line(exc)}"
            raise dg.Failure(description=message, metadata={"unreadable": message}) from None
        options = {
            "dates": dates,
            "entities": entities,
            "reload": dates if config.reload else (),
            "progress": progress(context),
        }
        try:
            if Settings.from_env().engine.engine == "spark":
                warehouse_dir = warehouse.build_database.parent
                report = ingest_on_spark(
                    spark.session(), conn, landing.path, warehouse_dir, **options
                )
            else:
                report = ingest(conn, landing.path, **options)
        except IngestionStopped as exc:  # what was written stays; the next run goes on
            raise dg.Failure(description=str(exc), metadata={"unreadable": str(exc)}) from None
    for line in report.warnings:
        context.log.warning(line)
    for line in report.lines():
        context.log.info(line)
    yield from _materialized(report, entities)
    for key in LOG_TABLES.keys() & context.selected_asset_keys:
        yield dg.MaterializeResult(
            asset_key=key, metadata={"rows": report.rows, "quarantined": report.quarantined}
        )
    if report.errors:
        raise dg.Failure(
            description=str(report.errors[0]),
            metadata={"unreadable": "\n".join(str(e) for e in report.errors)},
        )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _materialized(report: IngestReport, entities: list[Entity]):
    """A materialization per entity whose files all loaded."""
    for entity in entities:
        stats = report.entities[entity.label]
        if not stats.unreadable:
            yield dg.MaterializeResult(asset_key=asset_key(entity), metadata=_metadata(stats))


ingest_job = dg.define_asset_job(
    "ingest",
    selection=dg.AssetSelection.groups(GROUP).without_checks(),
    partitions_def=extract_dates,
    executor_def=dg.in_process_executor,
    description="Load every new extract file of the run's extract dates into the raw tables.",
)
