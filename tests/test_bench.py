"""`cdp bench` kept working: the 1k-customer, 30-day smoke run of the real benchmark (the full one,
`make bench`, never runs here), its process measurement, and the pandas side of the marts
race on a case worked out by hand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd

from cdp_command import PROCESS
from tools.bench import marts
from tools.bench.process import measure
from tools.bench.scale import SizeResult, machine, markdown
from tools.bench.stages import STAGES, step_at

REQUIRED = (
    "customers", "full_build_s", "nightly_s", "peak_rss_full_gb", "peak_rss_nightly_gb",
    "identity_s", "scipy_cc_s", "ingest_rows_per_s", "duckdb_read_rows_per_s", "marts_s",
    "pandas_marts_s", "machine",
)


def test_bench_smoke_at_1k_customers_writes_every_figure(tmp_path: Path):
    """1k customers measured (3k took 10 s longer, for the same checks); a size far beyond the
    disk reported as not measured."""
    env = {**os.environ, "CDP_WAREHOUSE_DIR": str(tmp_path / "warehouse")}
    done = subprocess.run(
        [*PROCESS, "bench", "--customers", "1000,100000000000", "--detail", "1000",
         "--days", "30", "--repeats", "1",
         "--workdir", str(tmp_path / "bench"), "--results", str(tmp_path / "results")],
        capture_output=True, text=True, env=env, timeout=540,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "| full build (s) |" in done.stdout and "| nightly: dbt (s) |" in done.stdout
    assert "| peak RSS full build during |" in done.stdout
    (data,) = (tmp_path / "results").glob("*.json")
    assert data.stem.endswith("-30d")  # not a year: never overwrites the day's figures over a year
    table = (tmp_path / "results" / f"{data.stem}.md").read_text(encoding="utf-8")
    assert table in done.stdout and "History: 30 days of extracts" in table
    # a size the disk cannot hold is said and skipped before anything is generated for it
    assert "\n100,000,000,000 customers over 30 days not measured: they need about" in table
    assert [p.name for p in (tmp_path / "bench").iterdir()] == ["landing-1000-30d-every7-seed1"]
    (size,) = json.loads(data.read_text(encoding="utf-8"))
    assert set(REQUIRED) <= set(size)
    assert size["customers"] == 1_000 and size["machine"]["cores"] == os.cpu_count()
    for key in REQUIRED[1:-1]:
        assert isinstance(size[key], (int, float)) and size[key] > 0, key
    for stages, wall in ((size["full_build_stages"], size["full_build_s"]),
                         (size["nightly_stages"], size["nightly_s"])):
        assert set(stages) == set(STAGES)
        assert stages["ingest"] > 0 and stages["dbt"] > 0 and stages["gate"] > 0
        assert sum(stages.values()) <= wall + 0.5
    assert size["full_build_stages"]["ingest"] > size["nightly_stages"]["ingest"]
    # each of the night's stages beside its floor, measured on the night's own files and SQL
    floors = size["nightly_floors"]
    assert set(floors) == {"ingest", "dbt", "gate"} and all(v > 0 for v in floors.values())
    assert floors["dbt"] < size["nightly_stages"]["dbt"]
    assert floors["gate"] < size["nightly_stages"]["gate"]
    assert "| nightly floor: dbt, its SQL models as one bare DuckDB script (s) |" in table
    assert size["detail"]["identity_graph"]["components"] > 900
    assert not (tmp_path / "bench" / "run-1000").exists()  # the warehouse is cleaned up


def test_peak_rss_counts_the_whole_process_tree(tmp_path: Path):
    child = "import time; b = bytearray(300_000_000); b[::4096] = b'x' * len(b[::4096]); time.sleep(1)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    measured = measure([sys.executable, "-c", parent], env=dict(os.environ), log=tmp_path / "log")
    assert measured.returncode == 0
    assert 0.3 <= measured.peak_rss_gb < 1.0
    assert measured.seconds >= 1.0
    assert measured.peak_at_s is not None and 0 < measured.peak_at_s <= measured.seconds


def test_the_peak_is_put_in_the_step_running_then():
    spans = {"landing_zone": (100.0, 160.0), "dbt_models": (161.5, 400.0)}
    assert step_at(spans, 120.0) == "landing_zone"
    assert step_at(spans, 400.0) == "dbt_models"
    assert step_at(spans, 161.0) is None  # between steps: Dagster's own bookkeeping


def test_pandas_rfm_and_lifecycle_follow_the_rules_on_a_worked_case():
    day = date(2026, 10, 31)
    orders = pd.DataFrame({
        "customer_id": ["a", "a", "b", "c", "d"],
        "order_date": pd.to_datetime(["2026-10-30", "2026-09-01", "2026-10-01", "2025-12-01",
                                      "2024-01-01"]),
        "amount_fen": [10_000, 20_000, 5_000, 5_000, 1_000],
    })
    rules = marts.rule_vars()
    rfm = marts.pandas_rfm(orders, day, rules["rfm_window_days"]).set_index("customer_id")
    assert list(rfm.index) == ["a", "b", "c"]  # d ordered before the window
    assert list(rfm["recency_days"]) == [1, 30, 334]
    # 3 customers: rank 1 → score 1, rank 2 → 1 + 5 // 3 = 2, rank 3 → 1 + 10 // 3 = 4;
    # b and c tie on frequency and monetary (rank 1 both).
    assert list(rfm["r_score"]) == [4, 2, 1]
    assert list(rfm["f_score"]) == [4, 1, 1]
    assert list(rfm["m_score"]) == [4, 1, 1]
    assert rfm.loc["a", "rfm_segment"] == "important_value"
    assert rfm.loc["c", "rfm_segment"] == "general_winback"
    joined = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d", "e", "f"],
        "joined_date": pd.to_datetime(["2025-01-01", "2026-10-31", "2025-06-01", "2023-01-01",
                                       "2026-10-25", "2025-01-01"]),
    })
    activity = pd.DataFrame({
        "customer_id": ["e", "f"],
        "last_event_date": pd.to_datetime(["2026-10-30", "2025-02-01"]),
        "last_inbound_date": pd.to_datetime([None, None]),
    })
    stages = marts.pandas_lifecycle(orders, joined, activity, day, rules).set_index("customer_id")
    assert stages["lifecycle_stage"].to_dict() == {
        "a": "mature", "b": "growth", "c": "churned", "d": "churned", "e": "introduction",
        "f": "churned",
    }
    assert stages.loc["b", "journey_stage"] == "T+0" and stages.loc["e", "journey_stage"] == "T+3"


def test_the_table_shows_the_spark_run_beside_duckdbs():
    """At a Spark size the table has the Spark path's rows (`--spark`, default 100k); at the
    others a dash."""
    stages = dict.fromkeys(STAGES, 1.0)
    common = dict(
        full_build_s=60.0, nightly_s=10.0, peak_rss_full_gb=1.0, peak_rss_nightly_gb=0.5,
        peak_rss_full_step="dbt_models", peak_rss_nightly_step="dbt_models",
        full_build_stages=stages, nightly_stages=stages, nightly_runs=1,
        landing={"days": 365, "snapshot_every": 7}, machine=machine(),
    )
    on_spark = SizeResult(
        customers=100_000, **common, spark_full_build_s=420.5, spark_nightly_s=380.0,
        spark_peak_rss_full_gb=3.1, spark_peak_rss_nightly_gb=2.9,
        spark_full_build_stages=stages, spark_nightly_stages={**stages, "dbt": 300.0},
    )
    table = markdown([on_spark, SizeResult(customers=1_000_000, **common)])
    assert "| full build on Spark (s) | 420.5 | — |" in table
    assert "| nightly run on Spark (s) | 380.0 | — |" in table
    assert "| nightly on Spark: dbt (s) | 300.0 | — |" in table
    assert "on Spark" not in markdown([SizeResult(customers=1_000_000, **common)])
