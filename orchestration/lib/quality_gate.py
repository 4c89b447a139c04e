"""Running the quality gate's suites (expectations/) from a step, and its report of the run:
`<warehouse>/gate/<run id>.json`, which `cdp run`'s summary and the publish read. Used by the
input gate's checks (orchestration/defs/gate.py) and the publish step (defs/publish.py).

The suites read the build database on DuckDB; with `CDP_ENGINE=spark` they read Spark's tables
on the run's local Spark session (the `spark` resource; `gate_queries`; README "Running on
Spark").
"""

import json
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from cdp import publish
from cdp.settings import Settings
from cdp.spark import session as spark_session
from cdp.spark.tables import schema_folders
from ingestion.spark_loader import RAW_FOLDER
from ingestion.warehouse import WarehouseBusy
from orchestration.defs.resources import Spark, Warehouse
from orchestration.lib.progress import progress

CHECK_NAME = "gx_gate"
DATA_DOCS = "data_docs"
REPORTS = "gate"


def gate_window(warehouse_dir: Path, as_of: date) -> tuple[date | None, dict[str, int] | None]:
    """What the last publish says for this run's gate: the input rows to check are those of
    extract dates after `since` (None: all, before the first publish; a re-run of the last
    published date checks that date again), and the row counts to compare with."""
    manifest = publish.read_manifest(warehouse_dir)
    if manifest is None:
        return None, None
    last = date.fromisoformat(manifest["as_of_date"])
    rows = {name: table["rows"] for name, table in manifest["tables"].items()}
    return min(last, as_of - timedelta(days=1)), rows


def run_suites(
    context: dg.OpExecutionContext,
    warehouse: Warehouse,
    spark: Spark,
    as_of: date,
    kinds: Sequence[str],
    tables: Sequence[str] = (),
):
    """Run the gate's suites of these kinds on the build (`gate_queries`; `tables`: those about
    to be published); write the run's report (its seconds include the start of the run's
    Spark session when the gate is the first to use it)."""
    from expectations.gate import run_gate  # GX is slow to import: only when a gate runs

    warehouse_dir = warehouse.build_database.parent
    since, previous_rows = gate_window(warehouse_dir, as_of)
    environment = Settings.from_env()
    settings = environment.gate
    say = progress(context)
    last = publish.last_published_as_of(warehouse_dir)
    if "published" in kinds and last is not None and (as_of - last).days > 1:
        days = (as_of - last).days
        settings = settings.over_days(days)
        say(
            f"gate: {days} days since the last publish ({last}): a table's rows may change by "
            f"up to {settings.max_row_change:.0%} (CDP_GATE_MAX_ROW_CHANGE per day)"
        )
    started = time.perf_counter()
    try:
        with gate_queries(warehouse, spark, environment, say) as queries:
            report = run_gate(
                queries,
                as_of=as_of,
                since=since,
                previous_rows=previous_rows,
                settings=settings,
                docs_dir=warehouse_dir / DATA_DOCS,
                run_id=context.run_id,
                tables=tables,
                say=say,
                kinds=kinds,
            )
    except WarehouseBusy as exc:
        raise dg.Failure(description=str(exc)) from None
    seconds = time.perf_counter() - started
    write_report(warehouse_dir, context.run_id, as_of, report, kinds=kinds, seconds=seconds)
    return report


@contextmanager
def gate_queries(warehouse: Warehouse, spark: Spark, settings: Settings, say) -> Iterator:
    """What the gate reads through: the build database (DuckDB), or on Spark the run's local
    session, in whose in-memory catalog each raw table ingestion wrote and each table of
    Spark's warehouse is registered over its Parquet folder when the suites first read it (a
    cluster's gate too: a local session over the same files)."""
    from expectations.queries import DuckDBQueries

    if settings.engine.engine != "spark":
        with warehouse.connect() as conn:
            yield DuckDBQueries(conn)
        return
    queries = spark_queries(spark.session(), warehouse.build_database.parent)
    yield queries
    say(
        f"gate: {len(queries.registered)} tables of Spark's Parquet registered in the run's "
        f"Spark session as read, in {queries.register_seconds:.1f}s"
    )


def spark_queries(session, warehouse_dir: Path):
    """The gate's reads on the session, each table registered over its Parquet folder when
    first read: the raw tables ingestion wrote, the tables of Spark's warehouse (dbt's hook
    leaves an empty `raw.db` there: the raw tables' files are ingestion's)."""
    from expectations.spark_queries import SparkQueries

    folders = {**schema_folders(warehouse_dir), "raw": warehouse_dir / RAW_FOLDER}

    def register(schema: str, table: str) -> bool:
        return schema in folders and spark_session.register(
            session, schema, table, folders[schema] / table
        )

    return SparkQueries(session, register)


def write_report(
    warehouse_dir: Path,
    run_id: str,
    as_of: date,
    report,
    *,
    kinds: Sequence[str],
    seconds: float,
) -> Path:
    """Add this gate run's results to `<warehouse>/gate/<run id>.json`, and its seconds under
    `seconds` keyed by the suites' kinds (`input`, `identity+published`); `query_seconds`:
    of those, the database's computing of the frames GX validated."""
    path = warehouse_dir / REPORTS / f"{run_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"results": []}
    results = previous["results"] + [
        {
            "kind": r.kind,
            "target": r.target,
            "suite": r.suite,
            "passed": r.passed,
            "evaluated": r.evaluated,
            "failures": list(r.failures),
        }
        for r in report.results
    ]
    content = {
        "run_id": run_id,
        "as_of_date": as_of.isoformat(),
        "verdict": "passed" if all(r["passed"] for r in results) else "refused",
        "data_docs": str(report.docs_index),
        "seconds": {**previous.get("seconds", {}), "+".join(kinds): round(seconds, 2)},
        "query_seconds": {
            **previous.get("query_seconds", {}), "+".join(kinds): round(report.query_seconds, 2)
        },
        "results": results,
        "masked": {**previous.get("masked", {}), **report.masked},
    }
    path.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def read_report(warehouse_dir: Path, run_id: str) -> dict | None:
    path = warehouse_dir / REPORTS / f"{run_id}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def check_results(
    report, keys: Mapping[tuple[str, str], dg.AssetKey], docs: str
) -> Iterable[dg.AssetCheckResult]:
    """One result per checked asset: every suite aimed at it passed, or the failures."""
    by_key: dict[dg.AssetKey, list] = {key: [] for key in keys.values()}
    for result in report.results:
        key = keys.get((result.kind, result.target))
        if key is not None:
            by_key[key].append(result)
    for key, results in by_key.items():
        failures = [line for r in results for line in r.failures]
        if not results:
            failures = [f"{'/'.join(key.path)}: no GX suite ran for this asset"]
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=CHECK_NAME,
            passed=not failures,
            severity=dg.AssetCheckSeverity.ERROR,
            description=failures[0] if failures else None,
            metadata={
                "suites": ", ".join(sorted({r.suite for r in results})),
                "expectations": sum(r.evaluated for r in results),
                "failures": "\n".join(failures),
                "data_docs": docs,
            },
        )
