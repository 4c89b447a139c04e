"""The report page: HTML around the charts, written atomically beside one copy of plotly.js.

The page loads `plotly.min.js` from its own folder (copied from the installed plotly
package, never from a CDN) and draws every figure from JSON inlined in the page, so the
folder opens offline, from the disk, in any browser. Text (headings, figures, the gate's
table) is plain HTML and reads without JavaScript. When every chart has drawn, the page adds
a hidden `#report-rendered` element; a script error or a missing plotly.js shows as a
`.report-error` line at the top.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from html import escape
from pathlib import Path
from typing import Any

import plotly.io as pio
import plotly.offline

from cdp.report import FOLDER, INDEX
from cdp.report.charts import LIFECYCLE, Chart, Section, sections
from cdp.report.data import ReportData, load

PLOTLY_JS = "plotly.min.js"
KEEP = 30
"""Dated copies (`<as-of date>.html`) kept: the newest 30 as-of dates."""
DATED = re.compile(r"^\d{4}-\d{2}-\d{2}\.html$")

STYLE = """
body { font-family: system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei',
  'Noto Sans CJK SC', sans-serif; margin: 0 auto; max-width: 1280px; padding: 0 24px 48px;
  color: #222; }
header { border-bottom: 1px solid #ddd; margin-bottom: 16px; }
h1 { margin-bottom: 4px; } h2 { margin-top: 40px; border-bottom: 1px solid #eee; }
h3 { margin: 0; font-size: 1.05em; }
nav a { margin-right: 16px; }
.meta, .source { color: #666; font-size: 0.9em; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 24px; }
figure { margin: 0; padding: 12px; border: 1px solid #e4e4e4; border-radius: 6px; }
.no-data { color: #8a6d3b; background: #fcf8e3; padding: 24px; border-radius: 4px; }
.report-error { color: #a94442; background: #f2dede; padding: 8px 12px; }
table { border-collapse: collapse; } th, td { padding: 4px 12px; border-bottom: 1px solid #eee;
  text-align: left; vertical-align: top; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { color: #a94442; }
"""

ON_ERROR = """
function reportError(message) {
  var line = document.createElement("p");
  line.className = "report-error";
  line.textContent = "report error: " + message;
  document.getElementById("report-errors").appendChild(line);
}
window.addEventListener("error", function (event) { reportError(event.message); });
"""

DRAW = """
(function () {
  if (!window.Plotly) {
    reportError("plotly.min.js did not load: it belongs in the folder of this page");
    return;
  }
  var figures = %s;
  var drawn = Object.keys(figures).map(function (id) {
    return Plotly.newPlot(id, figures[id].data, figures[id].layout,
                          {displaylogo: false, responsive: true});
  });
  Promise.all(drawn).then(function () {
    var done = document.createElement("div");
    done.id = "report-rendered";
    done.hidden = true;
    done.dataset.charts = String(drawn.length);
    document.body.appendChild(done);
  }, function (error) { reportError(String(error)); });
})();
"""


def write_report(warehouse_dir: Path, gate: dict[str, Any] | None, *, keep: int = KEEP) -> Path:
    """Write the report of the current publish: `report/<as-of date>.html` and
    `report/index.html` (each replaced atomically), `report/plotly.min.js` when it is missing
    or from another plotly version; keep the newest `keep` dated copies. Returns the index."""
    data = load(Path(warehouse_dir), gate)
    html = render(data)
    folder = Path(warehouse_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    script = plotly.offline.get_plotlyjs()
    target = folder / PLOTLY_JS
    if not target.exists() or target.read_text(encoding="utf-8") != script:
        _write_atomic(target, script)
    _write_atomic(folder / f"{data.as_of.isoformat()}.html", html)
    _write_atomic(folder / INDEX, html)
    for old in sorted(p for p in folder.iterdir() if DATED.match(p.name))[:-keep]:
        old.unlink()
    return folder / INDEX


def _write_atomic(path: Path, text: str) -> None:
    """Write a temporary file beside `path`, then rename it over `path` (readable by all)."""
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as handle:
        handle.write(text)
    os.chmod(handle.name, 0o644)
    os.replace(handle.name, path)


def render(data: ReportData) -> str:
    """The whole page as HTML text."""
    parts = sections(data)
    drawn = {c.key: c.figure for s in parts for c in s.charts if c.figure is not None}
    figures = "{" + ",".join(
        f"{json.dumps(key)}:{pio.to_json(figure, validate=False)}" for key, figure in drawn.items()
    ) + "}"
    title = f"CDP 运营报告 Operations report, as of {data.as_of}"
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="zh-CN"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
            f"<header><h1>{escape(title)}</h1>",
            f'<p class="meta">run {escape(data.run_id)} · published at '
            f"{escape(data.published_at)} · plotly.js {plotly.offline.get_plotlyjs_version()}, "
            "offline</p>",
            "<nav>" + "".join(
                f'<a href="#{_anchor(n)}">{escape(s.title)}</a>' for n, s in enumerate(parts)
            ) + '<a href="#gate-table">Gate details</a></nav></header>',
            '<div id="report-errors"></div>',
            _figures(data),
            *(_section(n, section) for n, section in enumerate(parts)),
            _gate_table(data.gate),
            f"<script>{ON_ERROR}</script>",
            f'<script src="{PLOTLY_JS}"></script>',
            "<script>" + DRAW % figures.replace("</", "<\\/") + "</script>",
            "</body></html>",
        ]
    )


def _anchor(number: int) -> str:
    return f"section-{number + 1}"


def _section(number: int, section: Section) -> str:
    charts = "".join(_chart(chart) for chart in section.charts)
    return (
        f'<section id="{_anchor(number)}"><h2>{escape(section.title)}</h2>'
        f'<div class="charts">{charts}</div></section>'
    )


def _chart(chart: Chart) -> str:
    caption = (
        f"<figcaption><h3>{escape(chart.title)}</h3>"
        f'<span class="source">from {escape(chart.source)}</span></figcaption>'
    )
    if chart.figure is None:
        body = f'<p class="no-data">暂无数据 No data yet. {escape(chart.note)}</p>'
    else:
        body = f'<div class="plot" id="{chart.key}"></div>'
    return f'<figure class="chart" data-chart="{chart.key}">{caption}{body}</figure>'


def _row(label: str, key: str, value: int | None) -> str:
    shown = "–" if value is None else f"{value:,}"
    return f'<tr><th>{escape(label)}</th><td class="number" data-figure="{key}">{shown}</td></tr>'


def _figures(data: ReportData) -> str:
    """The day's key numbers as text: customers, each lifecycle stage, tasks, the gate."""
    profile, lifecycle, tasks = data["profile"], data["lifecycle"], data["tasks"]
    customers = None if profile.empty else int(profile["customers"][0])
    rows = [_row("客户 customers", "customers", customers)]
    counts = {} if lifecycle.empty else dict(zip(lifecycle["stage"], lifecycle["customers"]))
    rows += [
        _row(f"{zh} {stage}", f"lifecycle.{stage}", int(counts.get(stage, 0)))
        for stage, (zh, _) in LIFECYCLE.items()
    ]
    for status in ("issued", "control"):
        total = 0 if tasks.empty else int(tasks.loc[tasks["status"] == status, "customers"].sum())
        rows.append(_row(f"今日任务 tasks {status}", f"tasks.{status}", total))
    results = (data.gate or {}).get("results", [])
    rows += [
        _row("闸门套件 gate suites", "gate.suites", len(results)),
        _row("闸门期望 gate expectations", "gate.expectations", sum(r["evaluated"] for r in results)),
        _row("失败 failed expectations", "gate.failures", sum(len(r["failures"]) for r in results)),
    ]
    return (
        '<section id="figures"><h2>今日概览 Today at a glance</h2>'
        f'<table class="figures">{"".join(rows)}</table></section>'
    )


def _gate_table(gate: dict[str, Any] | None) -> str:
    """Every suite of the run's gate: what it checked, how many expectations, what failed."""
    heading = '<section id="gate-table"><h2>闸门明细 Gate details</h2>'
    if not gate:
        return heading + '<p class="no-data">暂无数据 No gate report for this run.</p></section>'
    results = gate["results"]
    seconds = ", ".join(f"{kind} {value:g} s" for kind, value in gate.get("seconds", {}).items())
    rows = "".join(
        f'<tr class="{"passed" if r["passed"] else "failed"}"><td>{escape(r["kind"])}</td>'
        f'<td>{escape(r["target"])}</td><td>{escape(r["suite"])}</td>'
        f'<td class="number">{r["evaluated"]:,}</td>'
        f'<td>{"passed" if r["passed"] else "FAILED"}</td>'
        f'<td>{"<br>".join(escape(line) for line in r["failures"])}</td></tr>'
        for r in results
    )
    return (
        heading
        + f'<p>Verdict: <strong>{escape(gate.get("verdict", ""))}</strong> · '
        f"{len(results)} suites · {sum(r['evaluated'] for r in results):,} expectations · "
        f"{sum(len(r['failures']) for r in results)} failed · {escape(seconds)}</p>"
        + '<table class="gate"><tr><th>kind</th><th>checked</th><th>suite</th>'
        "<th>expectations</th><th>result</th><th>failures</th></tr>"
        + rows
        + "</table>"
        + f'<p class="meta">GX Data Docs of the run (their styles load from the internet): '
        f'{escape(str(gate.get("data_docs", "")))}</p></section>'
    )
