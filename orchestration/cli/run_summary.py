"""What `cdp run` says at the end: the run's figures, the gate's verdict, where things are.

Read after the run from the build database (this process is its only writer then), the
gate's report of the run (`<warehouse>/gate/<run id>.json`) and the published manifest.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from cdp import publish
from ingestion import warehouse

def gate_failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """The failed expectations of the run's gate checks, one line each (table, expectation)."""
    from orchestration.lib.quality_gate import CHECK_NAME

    lines: list[str] = []
    for event in result.all_events:
        if event.event_type_value != "ASSET_CHECK_EVALUATION":
            continue
        evaluation = event.event_specific_data
        if evaluation.check_name != CHECK_NAME or evaluation.passed:
            continue
        failures = evaluation.metadata.get("failures")
        text = str(failures.value) if failures is not None else ""
        lines.extend(text.splitlines() or [f"{evaluation.asset_key.to_user_string()}: failed"])
    return lines


@contextmanager
def _build_database(warehouse_dir: Path) -> Iterator[duckdb.DuckDBPyConnection | None]:
    path = warehouse.build_database(warehouse_dir)
    conn = None
    if path.exists():
        try:
            conn = duckdb.connect(str(path), read_only=True)
        except duckdb.IOException:  # taken by another process since the run: no figures then
            conn = None
    try:
        yield conn
    finally:
        if conn is not None:
            conn.close()


def _counts(conn: duckdb.DuckDBPyConnection, relation: str, column: str) -> str | None:
    if not warehouse.has_table(conn, relation):
        return None
    rows = conn.execute(
        f"select {column}, count(*) from {relation} group by all order by 2 desc, 1"
    ).fetchall()
    return " · ".join(f"{value} {count:,}" for value, count in rows) or "none"


def figures(warehouse_dir: Path, as_of: date) -> list[str]:
    """What stitching did (identifiers → customers, new, merged since the last run),
    lifecycle stages, RFM segments and what the playbook gives operators to act on, as
    built."""
    lines: list[str] = []
    with _build_database(warehouse_dir) as conn:
        if conn is None or not warehouse.has_table(conn, "marts.customer_profile"):
            return lines
        customers = conn.execute("select count(*) from marts.customer_profile").fetchone()[0]
        line = f"customers: {customers:,}"
        if warehouse.has_table(conn, "marts.identity_graph_stats"):
            row = conn.execute(
                "select identifiers, new_customers, merged_customers "
                "from marts.identity_graph_stats where as_of_date = ?",
                [as_of],
            ).fetchone()
            if row is not None:
                line = (
                    f"customers: {row[0]:,} identifiers stitched into {customers:,} customers "
                    f"(new {row[1]:,}; merged since the last run: {row[2]:,})"
                )
        lines.append(line)
        for label, relation, column in (
            ("lifecycle stages", "marts.customer_lifecycle", "lifecycle_stage"),
            ("RFM segments", "marts.customer_rfm", "rfm_segment"),
        ):
            counts = _counts(conn, relation, column)
            if counts is not None:
                lines.append(f"{label}: {counts}")
        if warehouse.has_table(conn, "marts.customer_tags"):
            lines.append(f"to act on: {_playbook_counts(conn)}")
        if warehouse.has_table(conn, "marts.customer_actions"):
            lines.append(f"today's tasks: {_task_counts(conn)}")
    return lines


def _task_counts(conn: duckdb.DuckDBPyConnection) -> str:
    """The day's actions (playbook §15): issued per action, then the other statuses, e.g.
    `issued 1,142 (replenishment_reminder 588 · churn_recall 376) · control 142 · …`."""
    per_action = conn.execute(
        "select action, count(*) from marts.customer_actions where status = 'issued' "
        "group by action order by 2 desc, 1"
    ).fetchall()
    statuses = dict(
        conn.execute("select status, count(*) from marts.customer_actions group by status").fetchall()
    )
    issued = " · ".join(f"{action} {count:,}" for action, count in per_action)
    line = f"issued {statuses.get('issued', 0):,}" + (f" ({issued})" if issued else "")
    for status in ("control", "suppressed", "deferred", "unreachable"):
        line += f" · {status} {statuses.get(status, 0):,}"
    return line


PLAYBOOK_TAG_GROUPS = ("replenishment", "points", "coupon", "tier_watch")
"""The playbook's tag groups (playbook §10-§13) the summary counts, in this order."""


def _playbook_counts(conn: duckdb.DuckDBPyConnection) -> str:
    """Customers per playbook tag, e.g. `replenishment run_out 937 · points expiring_soon 20`."""
    rows = conn.execute(
        "select tag_group, tag_value, count(*) from marts.customer_tags "
        "where tag_source = 'rule' and list_contains(?, tag_group) group by tag_group, tag_value "
        "order by list_position(?, tag_group), 3 desc, 2",
        [list(PLAYBOOK_TAG_GROUPS), list(PLAYBOOK_TAG_GROUPS)],
    ).fetchall()
    return " · ".join(f"{group} {value} {count:,}" for group, value, count in rows) or "none"


def verdict(warehouse_dir: Path, run_id: str, published_now: bool) -> list[str]:
    """The gate's verdict, where its Data Docs are, and what the published files hold."""
    from orchestration.lib.quality_gate import read_report

    lines: list[str] = []
    report = read_report(warehouse_dir, run_id)
    if report is None:
        lines.append("quality gate: not reached (the build stopped before it)")
    else:
        results = report["results"]
        failed = sum(len(r["failures"]) for r in results)
        expectations = sum(r["evaluated"] for r in results)
        state = "passed" if report["verdict"] == "passed" else f"REFUSED ({failed} failed)"
        masked = "".join(
            f"; masked, not refused: {count:,} {label}"
            for label, count in report.get("masked", {}).items() if count
        )
        lines.append(
            f"quality gate: {state}, {len(results)} suites, {expectations:,} expectations{masked}"
        )
        lines.append(f"data docs: {report['data_docs']}")
    manifest = publish.read_manifest(warehouse_dir)
    where = publish.published_paths(warehouse_dir, manifest) if manifest else ""
    if manifest is None:
        lines.append("published: nothing yet")
    elif published_now:
        lines.append(f"published as of {manifest['as_of_date']}: {where}")
    else:
        lines.append(
            f"published files unchanged: still as of {manifest['as_of_date']} "
            f"(run {manifest['run_id'][:8]}) in {where}"
        )
    return lines
