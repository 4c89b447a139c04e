"""The publish step (published.md) and the last half of the quality gate.

One asset per published table, `published/<table>`, downstream of the dbt model it copies:
the dbt models tagged `published` (dbt_project/models/marts). The step first validates the
identity graph and every table it is about to publish with their GX suites (expectations/),
reported as blocking asset checks on the published assets; only when every one passes does
it write the new version (cdp/publish.py: Parquet, `_manifest.json` and, unless
CDP_PUBLISH_DATABASE=no, `published.duckdb`, swapped in atomically). On a refusal nothing
under the published paths changes.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg

from cdp import publish
from cdp.settings import Settings
from ingestion.warehouse import WarehouseBusy
from orchestration.lib.quality_gate import CHECK_NAME, check_results, read_report, run_suites
from orchestration.defs.resources import Spark, Warehouse
from orchestration.lib.as_of import AsOfConfig, resolve_as_of
from orchestration.lib.dbt.project import manifest
from orchestration.lib.progress import progress

PUBLISHED_TAG = "published"
RESTRICTED_TAG = "restricted"
GROUP = "publish"
OP_NAME = "publish"
IDENTITY_TABLE = "identity_graph_stats"


def published_models(
    manifest: Mapping[str, Any], tag: str = PUBLISHED_TAG
) -> list[publish.TableSource]:
    """The dbt models tagged `published` (or `restricted`), by name, with their relation in
    the build database and their descriptions (the published database keeps them as comments;
    the build database has none: dbt's persist_docs would write them on every run, for no
    reader)."""
    return sorted(
        (
            publish.TableSource(
                name=node["name"],
                relation=f"{node['schema']}.{node['name']}",
                description=" ".join(node.get("description", "").split()),
                columns=tuple(
                    (name, " ".join(column.get("description", "").split()))
                    for name, column in node.get("columns", {}).items()
                ),
            )
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and tag in node["config"].get("tags", [])
        ),
        key=lambda table: table.name,
    )


TABLES = published_models(manifest())
RESTRICTED = published_models(manifest(), RESTRICTED_TAG)


def published_key(table: publish.TableSource) -> dg.AssetKey:
    return dg.AssetKey([GROUP, table.name])


def source_key(table: publish.TableSource) -> dg.AssetKey:
    return dg.AssetKey(table.relation.split("."))


CHECKED = {("published", t.name): published_key(t) for t in TABLES}
CHECKED[("identity", IDENTITY_TABLE)] = dg.AssetKey([GROUP, IDENTITY_TABLE])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            published_key(table),
            deps=[source_key(table)],
            group_name=GROUP,
            kinds={"duckdb", "parquet"},
            description=f"`{table.name}` in `<warehouse>/published/{table.name}.parquet` and "
            "(unless CDP_PUBLISH_DATABASE=no) `<warehouse>/published.duckdb`, published after "
            "the gate passed.",
        )
        for table in TABLES
    ]
    + [
        dg.AssetSpec(
            published_key(table),
            deps=[source_key(table)],
            group_name=GROUP,
            kinds={"duckdb"},
            description=f"`{table.name}` in `<warehouse>/restricted/{publish.CONTACTS}` (mode "
            "0600: the clear contact fields, kept out of the BI-facing files), published with "
            "the rest.",
        )
        for table in RESTRICTED
    ],
    check_specs=[
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=published_key(table),
            blocking=True,
            description="GX suite of the table about to be published: keys, codes, ranges, no "
            "raw mobile number, row count against the last publish"
            + (", and the identity graph's bounds" if table.name == IDENTITY_TABLE else ""),
        )
        for table in TABLES
    ],
    name=OP_NAME,
)
def published(
    context: dg.AssetExecutionContext, config: AsOfConfig, warehouse: Warehouse, spark: Spark
):
    say = progress(context)
    as_of = resolve_as_of(config.as_of, context)
    report = run_suites(
        context,
        warehouse,
        spark,
        as_of,
        kinds=("identity", "published"),
        tables=[t.name for t in TABLES],
    )
    docs = str(report.docs_index)
    yield from check_results(report, CHECKED, docs)
    if not report.passed:
        lines = report.failure_lines()
        say(f"quality gate: REFUSED, nothing published ({len(lines)} failed expectation(s))")
        raise dg.Failure(
            description=f"quality gate refused to publish: {lines[0]}",
            metadata={"gate_failures": "\n".join(lines), "data_docs": docs},
        )
    say("quality gate: passed")
    warehouse_dir = warehouse.build_database.parent
    gate = read_report(warehouse_dir, context.run_id) or {}
    verdict = {
        "verdict": "passed",
        "suites": len(gate.get("results", [])),
        "expectations": sum(r["evaluated"] for r in gate.get("results", [])),
        "data_docs": docs,
    }
    settings = Settings.from_env()
    try:
        with warehouse.connect() as conn:
            publication = publish.publish(
                conn,
                warehouse_dir,
                TABLES,
                restricted=RESTRICTED,
                run_id=context.run_id,
                as_of=as_of,
                gate=verdict,
                keep=settings.publish_keep,
                database=settings.publish_database,
                say=say,
            )
    except WarehouseBusy as exc:
        raise dg.Failure(description=str(exc)) from None
    context.log.info(
        f"published as of {as_of}: {publish.published_paths(warehouse_dir, publication.manifest)}"
    )
    written_tables = {**publication.manifest["tables"], **publication.manifest["restricted"]}
    for table in [*TABLES, *RESTRICTED]:
        written = written_tables[table.name]
        yield dg.MaterializeResult(
            asset_key=published_key(table),
            metadata={
                "as_of": as_of.isoformat(),
                "rows": written["rows"],
                "sha256": written["sha256"],
                "version": publication.version,
                "path": str(
                    (publication.folder if table in TABLES else warehouse_dir) / written["file"]
                ),
            },
        )
    try:  # the operations report (docs/report.md): its failure never fails nor undoes a publish
        from cdp.report.page import write_report

        say(f"report: {write_report(warehouse_dir, gate or None)}")
    except Exception as exc:  # noqa: BLE001 - any error: the publish stands, the report waits
        context.log.warning(f"report not written: {exc!r}")
        say(f"report: not written ({exc}); the published files are complete")
