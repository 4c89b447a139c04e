"""The operations report (cdp/report, docs/report.md): written by every publish, offline, and
drawn by a real browser (headless Chromium) with the published tables' numbers.

Two nights 15 days apart on generated extracts, through `cdp run`'s own function: the second
has a publish before it (tier moves, the lifecycle over two runs) and the first night's
actions are 14 days old (their outcomes). The first night's report fails on purpose: the
publish stands. The browser tests skip, saying why, where Chromium is not installed
(`.ci/run` installs Debian's `chromium`)."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import plotly.offline
import pytest

from cdp import publish
import cdp_command
from orchestration.cli import main as cli
from tools.generate import generate
from cdp.report import index_path
from cdp.report.charts import LIFECYCLE
from cdp.report.data import QUERIES, ReportData, load
from cdp.report.page import PLOTLY_JS, render, write_report
from orchestration.cli.run import EXIT_OK, run_nightly
from cdp.settings import Settings
from orchestration.lib.quality_gate import read_report
from orchestration.lib.progress import PROGRESS_LOGGER

END = date(2026, 10, 31)
NIGHTS = [END - timedelta(days=15), END]
CHARTS = 15
"""Charts on the page (cdp/report/charts.py `sections`), each drawn in this warehouse."""
CHROMIUM = shutil.which("chromium")


class Lines(logging.Handler):
    """Collects the nightly run's progress lines (logger `cdp.progress`)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def failing_report(*args, **kwargs):
    raise RuntimeError("the report broke on purpose")


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory):
    """The warehouse after both nights, and each night's exit code and progress lines."""
    root = tmp_path_factory.mktemp("report")
    generate(root / "landing", customers=300, days=30, seed=5, end=END)
    progress, lines = logging.getLogger(PROGRESS_LOGGER), Lines()
    progress.addHandler(lines)
    level, progress.level = progress.level, logging.INFO
    outcomes = {}
    try:
        with pytest.MonkeyPatch.context() as mp:
            (root / "dagster").mkdir()
            mp.setenv("DAGSTER_HOME", str(root / "dagster"))
            mp.setenv("CDP_LANDING_DIR", str(root / "landing"))
            mp.setenv("CDP_WAREHOUSE_DIR", str(root / "warehouse"))
            settings = Settings.from_env()
            for night in NIGHTS:
                with pytest.MonkeyPatch.context() as broken:
                    if night == NIGHTS[0]:
                        broken.setattr("cdp.report.page.write_report", failing_report)
                    code = run_nightly(settings, as_of=night, reload=[], say=lines.lines.append)
                written = index_path(settings.warehouse_dir).exists()
                outcomes[night] = (code, list(lines.lines), written)
                lines.lines.clear()
    finally:
        progress.removeHandler(lines)
        progress.setLevel(level)
    return settings, outcomes


def published(warehouse_dir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(publish.database_path(warehouse_dir)), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def gate_report(warehouse_dir: Path) -> dict:
    return read_report(warehouse_dir, publish.read_manifest(warehouse_dir)["run_id"])


def figures(html: str) -> dict[str, int]:
    """The page's key numbers as shown (`data-figure` cells), e.g. `lifecycle.growth`."""
    return {
        key: int(value.replace(",", ""))
        for key, value in re.findall(r'data-figure="([^"]+)">([^<]+)<', html)
    }


def chromium_dom(page: Path, profile: Path) -> tuple[str, str]:
    """The page's DOM after its scripts ran in headless Chromium, and Chromium's log."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium; .ci/run does)")
    done = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--virtual-time-budget=10000",
            "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=True,
    )
    return done.stdout, done.stderr


def chart_html(dom: str, key: str) -> str:
    """The DOM of one chart's figure element."""
    start = dom.index(f'data-chart="{key}"')
    end = dom.find("data-chart=", start + 1)
    return dom[start : end if end > 0 else len(dom)]


def test_a_report_failure_leaves_the_publish_standing(nights):
    settings, outcomes = nights
    code, lines, written = outcomes[NIGHTS[0]]
    assert code == EXIT_OK, lines
    assert publish.read_manifest(settings.warehouse_dir) is not None
    assert (
        "report: not written (the report broke on purpose); the published files are complete"
        in lines
    )
    assert not written


def test_every_publish_writes_the_report_beside_plotly_js(nights):
    settings, outcomes = nights
    code, lines, written = outcomes[NIGHTS[1]]
    index = index_path(settings.warehouse_dir)
    assert code == EXIT_OK, lines
    assert written and f"report: {index}" in lines
    folder = index.parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{NIGHTS[1]}.html", "index.html", PLOTLY_JS]
    )
    html = index.read_text(encoding="utf-8")
    assert (folder / f"{NIGHTS[1]}.html").read_text(encoding="utf-8") == html
    assert (folder / PLOTLY_JS).read_text(encoding="utf-8") == plotly.offline.get_plotlyjs()
    assert f'<script src="{PLOTLY_JS}"></script>' in html
    assert not re.search(r'(src|href)="(https?:)?//', html), "the page must not fetch anything"


def test_the_dated_copies_are_bounded(nights):
    settings, _ = nights
    folder = index_path(settings.warehouse_dir).parent
    for day in ("2026-01-01", "2026-01-02", "2026-01-03"):
        (folder / f"{day}.html").write_text("old", encoding="utf-8")
    write_report(settings.warehouse_dir, gate_report(settings.warehouse_dir), keep=2)
    kept = sorted(p.name for p in folder.glob("*-*-*.html"))
    assert kept == ["2026-01-03.html", f"{NIGHTS[1]}.html"]
    (folder / "2026-01-03.html").unlink()


def test_the_page_shows_the_published_numbers(nights):
    settings, _ = nights
    warehouse_dir = settings.warehouse_dir
    shown = figures(index_path(warehouse_dir).read_text(encoding="utf-8"))
    sql = "select lifecycle_stage, count(*) from customer_lifecycle group by 1"
    stages = dict(published(warehouse_dir, sql))
    for stage in LIFECYCLE:
        assert shown[f"lifecycle.{stage}"] == stages.get(stage, 0), stage
    customers = published(warehouse_dir, "select count(*) from customer_profile")[0][0]
    assert shown["customers"] == customers
    tasks = dict(
        published(warehouse_dir, "select status, count(*) from customer_actions group by 1")
    )
    assert shown["tasks.issued"] == tasks["issued"] > 0
    assert shown["tasks.control"] == tasks.get("control", 0)
    gate = gate_report(warehouse_dir)
    assert shown["gate.suites"] == len(gate["results"]) > 0
    assert shown["gate.expectations"] == sum(r["evaluated"] for r in gate["results"])
    assert shown["gate.failures"] == 0


def ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's rows in one order (a query without `order by` gives them in any)."""
    if frame.empty:
        return frame
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_a_publish_without_its_database_gives_the_same_frames(nights, tmp_path):
    """CDP_PUBLISH_DATABASE=no: the current version's Parquet files and manifest alone."""
    settings, _ = nights
    parquet_only = tmp_path / "warehouse"
    current = publish.folder_path(settings.warehouse_dir).resolve()
    shutil.copytree(current, parquet_only / publish.FOLDER)
    from_database = load(settings.warehouse_dir, None)
    from_parquet = load(parquet_only, None)
    assert (from_parquet.as_of, from_parquet.run_id) == (from_database.as_of, from_database.run_id)
    assert from_parquet.frames.keys() == from_database.frames.keys() == QUERIES.keys()
    assert sum(not frame.empty for frame in from_database.frames.values()) >= len(QUERIES) - 1
    for name, frame in from_database.frames.items():
        pd.testing.assert_frame_equal(ordered(from_parquet[name]), ordered(frame), obj=name)


def test_chromium_draws_every_chart_with_the_published_numbers(nights, tmp_path):
    settings, _ = nights
    dom, log = chromium_dom(index_path(settings.warehouse_dir), tmp_path / "chromium")
    assert 'class="report-error"' not in dom
    assert "Uncaught" not in log, log
    assert re.search(rf'id="report-rendered" hidden="" data-charts="{CHARTS}"', dom)
    assert 'class="no-data"' not in dom
    keys = re.findall(r'data-chart="([^"]+)"', dom)
    assert len(keys) == CHARTS
    for key in keys:
        chart = chart_html(dom, key)
        assert "js-plotly-plot" in chart and 'class="main-svg"' in chart, key
    funnel = chart_html(dom, "lifecycle-funnel")
    funnel = re.findall(r'class="bartext[^"]*"[^>]*>([\d,]+) \(', funnel)
    stages = published(
        settings.warehouse_dir, "select count(*) from customer_lifecycle group by lifecycle_stage"
    )
    assert sorted(int(n.replace(",", "")) for n in funnel) == sorted(n for (n,) in stages)
    bars = chart_html(dom, "gate")
    assert bars.count('class="point"') == int(figures(dom)["gate.suites"])


def test_empty_tables_show_a_note_instead_of_a_chart(nights, tmp_path):
    settings, _ = nights
    empty = ReportData(
        as_of=END, run_id="run", published_at="", gate=None,
        frames={name: pd.DataFrame() for name in QUERIES},
    )
    page = tmp_path / "report" / "index.html"
    page.parent.mkdir()
    page.write_text(render(empty), encoding="utf-8")
    shutil.copy(index_path(settings.warehouse_dir).parent / PLOTLY_JS, page.parent / PLOTLY_JS)
    html = page.read_text(encoding="utf-8")
    assert html.count('class="no-data"') == CHARTS + 1  # and the gate's table
    dom, _ = chromium_dom(page, tmp_path / "chromium")
    assert 'id="report-rendered" hidden="" data-charts="0"' in dom
    assert "js-plotly-plot" not in dom and 'class="report-error"' not in dom


def test_cdp_report_prints_the_path_or_says_there_is_none(nights, tmp_path, monkeypatch, capsys):
    settings, _ = nights
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.setenv("CDP_WAREHOUSE_DIR", str(tmp_path / "empty"))
    assert cli.main(["report"]) == cli.EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and err.startswith("cdp report: no report yet")
    monkeypatch.setenv("CDP_WAREHOUSE_DIR", str(settings.warehouse_dir))
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    assert cli.main(["report", "--open"]) == EXIT_OK
    index = index_path(settings.warehouse_dir).resolve()
    assert capsys.readouterr().out == f"{index}\n"
    assert opened == [index.as_uri()]


def test_the_demo_ends_with_the_report_path(nights, monkeypatch, capsys):
    settings, _ = nights
    monkeypatch.setattr("orchestration.cli.run.run_nightly", lambda *args, **kwargs: EXIT_OK)
    assert cli.cmd_demo(None, settings) == EXIT_OK
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.endswith(str(index_path(settings.warehouse_dir)))


def test_cdp_docs_builds_the_models_documentation_as_one_offline_page(tmp_path: Path):
    """From the folder holding the warehouse, named relative to it (as the README's default)."""
    warehouse = tmp_path / "warehouse"
    done = cdp_command.cdp(
        "docs", cwd=tmp_path,
        environment={"CDP_WAREHOUSE_DIR": "warehouse", "CDP_LANDING_DIR": str(tmp_path / "landing"),
                     "DAGSTER_HOME": str(tmp_path / "dagster")},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = warehouse / "docs" / "index.html"
    assert str(page.resolve()) in done.stdout.splitlines()
    assert not (warehouse / "build.duckdb").exists()  # no database was opened for it
    dom, log = chromium_dom(page, tmp_path / "profile")
    # the overview, rendered from its markdown by the page's own scripts, offline
    assert re.search(r"<h1[^>]*>\s*A warehouse-native CDP for 私域 retail", dom)
    assert "Uncaught" not in log
