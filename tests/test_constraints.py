"""The structure of the published tables is the dbt contracts' job: a row breaking a table
constraint (here `customer_profile.total_spend >= 0`) fails its model as DuckDB writes it,
the run exits 1 naming the model and the constraint's expression, and nothing is published.
One nightly run on a small generated landing zone, through `cdp run`'s own function."""

from __future__ import annotations

import re

import pytest

import orchestration.defs.gate as gate
from cdp import publish
from tools.generate import generate
from orchestration.cli.run import EXIT_BUILD_FAILED, run_nightly
from cdp.settings import Settings

NEGATIVE_ORDER = """
    insert into raw.member__offline_orders
    select * replace ('OO-WRITTEN-BY-ANOTHER-TOOL' as order_id, -1000000 as paid_amount)
    from raw.member__offline_orders
    where order_status = 'paid'
    order by order_id
    limit 1
"""
"""A paid in-store order of a million yuan below zero, written straight into the raw table:
its member's total spend (and the month's revenue, the RFM monetary, the tier's spend) drops
below zero."""


def test_a_row_breaking_a_constraint_stops_the_run_and_publishes_nothing(
    cdp_env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    summary = generate(cdp_env["landing"], customers=150, days=30, seed=5)
    judged = gate.run_suites

    def then_another_tool_writes_to_raw(context, warehouse, spark, as_of, kinds, **given):
        """The input gate judges the rows ingestion brought in; another tool writes into the
        raw table after it, bypassing ingestion and the gate."""
        report = judged(context, warehouse, spark, as_of, kinds, **given)
        if tuple(kinds) == ("input",) and report.passed:
            with warehouse.connect() as conn:
                assert conn.execute(NEGATIVE_ORDER).fetchall() == [(1,)]
        return report

    monkeypatch.setattr(gate, "run_suites", then_another_tool_writes_to_raw)
    settings = Settings.from_env()
    lines: list[str] = []
    code = run_nightly(settings, as_of=summary.last_date, reload=[], say=lines.append)

    errors = capsys.readouterr().err.splitlines()
    assert code == EXIT_BUILD_FAILED, lines + errors
    failed = re.compile(
        r'^cdp run: model marts\.customer_profile: Constraint Error: CHECK constraint failed on '
        r'table "customer_profile__dbt_tmp" with expression CHECK\(\(total_spend >= 0\)\)$'
    )
    assert any(failed.match(line) for line in errors), errors
    assert not any("quality gate refused" in line for line in errors), errors
    assert publish.read_manifest(settings.warehouse_dir) is None
    assert not publish.database_path(settings.warehouse_dir).exists()
