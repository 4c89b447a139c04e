"""The `cdp` console script end to end: real Dagster runs, real dbt builds, real DuckDB, each
command through the console script's `main` in the test's process (tests/cdp_command.py); an
unreadable extract's one line from a real `cdp` process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

import cdp_command as command
from cdp_command import folders
from orchestration.dbt_manifest import stale_reason
from orchestration.lib.dbt.build_log import DBT_TARGET


def cdp(*args: str, env: dict[str, Path], extra: dict[str, str] | None = None, cwd: Path | None = None):
    """`cdp` with the env's folders; from `cwd`, the warehouse relative to it."""
    return command.cdp(*args, environment={**(extra or {}), **folders(env, cwd)}, cwd=cwd)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "landing"
    env = {"landing": out, "warehouse": out.parent / "w", "dagster": out.parent / "d"}
    done = cdp("generate", "--customers", "150", "--days", "5", "--seed", "3", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert "miniprogram/orders" in done.stdout
    totals = [line for line in done.stdout.splitlines() if line.startswith("total ")]
    assert len(totals) == 1, done.stdout  # the summary is said once
    return out


def loaded_files(env) -> int:
    with duckdb.connect(str(env["warehouse"] / "build.duckdb"), read_only=True) as conn:
        return conn.execute("select count(*) from raw._loads").fetchone()[0]


def test_run_ingests_everything_then_nothing_new(env):
    first = cdp("run", "--as-of", "2026-10-31", "--no-build", env=env)
    assert first.returncode == 0, first.stderr
    assert "ingesting" in first.stdout and "rows/s" in first.stdout
    assert "miniprogram/events" in first.stdout and "finished" in first.stdout
    files = sum(1 for p in env["landing"].rglob("*") if p.is_file())
    assert loaded_files(env) == files
    second = cdp("run", "--as-of", "2026-10-31", "--no-build", env=env)
    assert second.returncode == 0, second.stderr
    assert "nothing new to ingest" in second.stdout
    assert "dbt build" not in first.stdout + second.stdout
    assert loaded_files(env) == files


def test_as_of_leaves_later_folders_for_later(env):
    done = cdp("run", "--as-of", "2026-10-28", "--no-build", env=env)
    assert done.returncode == 0, done.stderr
    later = [p for p in env["landing"].rglob("*") if p.is_file() and p.parent.name > "2026-10-28"]
    assert later and loaded_files(env) == sum(1 for p in env["landing"].rglob("*") if p.is_file()) - len(later)


def test_unreadable_extract_exits_2_with_one_line(env):
    bad = env["landing"] / "member" / "2026-10-31" / "offline_orders.csv"
    bad.write_bytes(b"order_id,member_id,store_id\n\xff\xfe\x00bad\n")
    done = subprocess.run(
        [*command.PROCESS, "run", "--as-of", "2026-10-31"], capture_output=True, text=True,
        timeout=300, env={**os.environ, **folders(env)},
    )
    assert done.returncode == 2
    assert done.stderr.strip() == f"cdp run: {bad}, line 2: NUL byte: binary or UTF-16 file"
    assert "Traceback" not in done.stdout + done.stderr
    assert "dbt build" not in done.stdout  # nothing is built on unreadable input
    files = sum(1 for p in env["landing"].rglob("*") if p.is_file())
    assert loaded_files(env) == files - 1


def test_reload_replaces_a_corrected_date(env):
    assert cdp("run", "--as-of", "2026-10-31", "--no-build", env=env).returncode == 0
    target = env["landing"] / "member" / "2026-10-30" / "points_ledger.csv"
    header = target.read_text(encoding="utf-8").splitlines()[0]
    target.write_text(header + "\nfix1,M0000000001,5,adjust,2026-10-30 12:00:00,\n", encoding="utf-8")
    done = cdp("run", "--as-of", "2026-10-31", "--reload", "2026-10-30", "--no-build", env=env)
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(env["warehouse"] / "build.duckdb"), read_only=True) as conn:
        assert conn.execute(
            "select entry_id from raw.member__points_ledger where _extract_date = '2026-10-30'"
        ).fetchall() == [("fix1",)]


def test_run_builds_with_the_run_s_vars_and_publishes_without_the_database_when_asked(env):
    tiers = "{tier_silver_from: 0.01, tier_gold_from: 100000, tier_platinum_from: 200000}"
    no_database = {"CDP_PUBLISH_DATABASE": "no"}
    done = cdp(
        "run", "--as-of", "2026-10-31", "--vars", tiers, env=env, extra=no_database,
        cwd=env["warehouse"].parent,
    )
    assert done.returncode == 0, done.stderr
    # dbt's files beside the build database, none in the project (whose manifest stays fresh)
    assert (env["warehouse"] / DBT_TARGET / "run_results.json").exists()
    assert stale_reason() is None
    summary = done.stdout[done.stdout.index("all entities"):]
    assert re.search(r"^  dbt build: \d+ models, \d+ tests passed, 0 failed in [\d.]+s$", summary, re.M)
    assert re.search(r"^  purchase model as of 2026-10-31: [\d,]+ customers with a qualifying order$", done.stdout, re.M)
    assert "Traceback" not in done.stdout + done.stderr and done.stderr == ""
    with duckdb.connect(str(env["warehouse"] / "build.duckdb"), read_only=True) as conn:
        assert conn.execute("select count(*) from staging.stg_miniprogram__orders").fetchone()[0] > 0
        tiers = dict(conn.execute(
            "select value_tier, count(*) from marts.customer_tier where spend_365d > 0 group by 1"
        ).fetchall())
    assert list(tiers) == ["silver"]  # every buyer from 0.01 yuan, none gold at 100,000
    published = f"  published as of 2026-10-31: {env['warehouse'].name}/published/"  # as given
    assert published in done.stdout.splitlines(), done.stdout[-2000:]
    assert not (env["warehouse"] / "published.duckdb").exists()
    manifest = json.loads((env["warehouse"] / "published" / "_manifest.json").read_text())
    assert manifest["database"] is False and manifest["tables"]["customer_actions"]["rows"] > 0
    for command in ("sync-wecom", "push-actions"):  # their dry runs read the Parquet files
        read = cdp(command, env=env)
        assert read.returncode == 0 and "publish " in read.stdout, read.stdout + read.stderr


def test_backfill_runs_each_date_and_stops_at_the_first_that_does_not_publish(env):
    bad = env["landing"] / "member" / "2026-10-31" / "offline_orders.csv"
    bad.write_bytes(b"order_id,member_id,store_id\n\xff\xfe\x00bad\n")
    done = cdp("backfill", "--from", "2026-10-30", "--to", "2026-10-31", env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "[1/2] cdp run --as-of 2026-10-30" in done.stdout
    assert "[2/2] cdp run --as-of 2026-10-31" in done.stdout
    assert "backfill stopped at 2026-10-31 (exit 2); published through 2026-10-30" in done.stdout
    assert done.stderr.strip() == f"cdp run: {bad}, line 2: NUL byte: binary or UTF-16 file"
    manifest = json.loads((env["warehouse"] / "published" / "_manifest.json").read_text())
    assert manifest["as_of_date"] == "2026-10-30"


@pytest.mark.parametrize(
    ("args", "extra", "message"),
    [
        (("backfill", "--from", "2026-10-31", "--to", "2026-10-30"), {}, "cdp backfill: --to 2026-10-30 is before --from 2026-10-31"),
        (("sync-wecom",), {}, "run `cdp run` first"),
        (("push-actions",), {}, "run `cdp run` first"),
        (("run", "--reload", "2020-01-01"), {}, "cdp run: nothing to reload: no extract folder for 2020-01-01"),
        (("run",), {"CDP_AS_OF": "yesterday"}, "cdp run: CDP_AS_OF: 'yesterday' is not a date"),
        (("generate", "--days", "2"), {}, "is not empty: pass --overwrite"),
        (("run", "--vars", "{tier_silver_from: }"), {},
         "cdp run: --vars: tier_silver_from: empty value (expected a number, default 500)"),
        (("run", "--vars", "{tier_silver_form: 600}"), {}, "cdp run: --vars: unknown var 'tier_silver_form'"),
        (("backfill", "--from", "2026-10-30", "--to", "2026-10-31", "--vars", "{rfm_window_days: soon}"), {},
         "cdp backfill: --vars: rfm_window_days: 'soon' is not a number (default 365)"),
    ],
)
def test_bad_usage_exits_2_with_one_line(env, args, extra, message):
    """Refused before any work."""
    done = cdp(*args, env=env, extra=extra)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_bench_identity_prints_both_times_and_the_ratio(tmp_path: Path):
    env = {"landing": tmp_path / "l", "warehouse": tmp_path / "w", "dagster": tmp_path / "d"}
    done = cdp("bench", "identity", "--customers", "300", "--repeats", "1",
               "--workdir", str(tmp_path / "bench"), env=env)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^scipy \(factorize \+ connected_components\) +[\d.]+s median$", done.stdout, re.M)
    assert re.search(r"^our stitching step +[\d.]+s median$", done.stdout, re.M)
    assert re.search(r"^ratio ours / scipy +[\d.]+x", done.stdout, re.M)


def test_bench_model_prints_timings_and_recovered_parameters(tmp_path: Path):
    env = {"landing": tmp_path / "l", "warehouse": tmp_path / "w", "dagster": tmp_path / "d"}
    done = cdp("bench", "model", "--customers", "2000", "--seed", "3", env=env)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^customers +2,000$", done.stdout, re.M)
    assert re.search(r"^BG/NBD fit +[\d.]+s \(converged\)$", done.stdout, re.M)
    assert re.search(r"^Gamma-Gamma fit +[\d.]+s \(converged\)$", done.stdout, re.M)
    assert re.search(r"^total fit \+ predict +[\d.]+s$", done.stdout, re.M)
    assert re.search(r"^  alpha +30\.000 +[\d.]+$", done.stdout, re.M)


@pytest.mark.parametrize(
    "command", ["demo", "generate", "run", "backfill", "sync-wecom", "push-actions", "ui", "bench", "compare"]
)
def test_every_subcommand_has_help(command, capsys):
    from orchestration.cli.main import build_parser

    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([command, "--help"])
    assert exited.value.code == 0
    assert f"usage: cdp {command}" in capsys.readouterr().out


def test_ui_says_where_it_opens_then_starts_dagster_dev(monkeypatch, capsys, tmp_path):
    import argparse

    from orchestration.cli import main as cli

    started = []
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setattr(cli.os, "execv", lambda program, command: started.append(command))
    assert cli.cmd_ui(argparse.Namespace(port=3333), settings=None) == 0
    assert "starting the Dagster UI on http://127.0.0.1:3333 " in capsys.readouterr().out
    workspace = tmp_path / "workspace.yaml"
    assert started == [[sys.executable, "-m", "dagster", "dev", "-w", str(workspace), "--port", "3333"]]
    [location] = yaml.safe_load(workspace.read_text(encoding="utf-8"))["load_from"]
    assert location == {
        "python_module": {"module_name": "orchestration.definitions", "location_name": "cdp"}
    }


def test_the_demo_publishes_two_month_ends_before_the_newest_date_given_a_year_before_them():
    from datetime import date

    from orchestration.cli.main import demo_nights

    assert demo_nights(date(2025, 8, 8), date(2026, 10, 31)) == [
        date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 31),
    ]  # fmt: skip
    assert demo_nights(date(2025, 3, 1), date(2026, 3, 1)) == [date(2026, 3, 1)]
    assert demo_nights(date(2024, 1, 1), date(2025, 3, 15)) == [
        date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 15),
    ]  # fmt: skip
