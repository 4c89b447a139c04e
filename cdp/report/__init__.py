"""The operations report (docs/report.md): one offline HTML page per publish, read from the
published files and the run's gate report.

    <warehouse>/report/index.html          the current report (the last publish)
    <warehouse>/report/<as-of date>.html   a dated copy per published date (the newest kept)
    <warehouse>/report/plotly.min.js       plotly.js from the installed plotly package

`data` queries the published tables into frames, `charts` turns them into Plotly figures,
`page` writes the page (`write_report`, called by the publish step). This module holds only
the paths, so that `cdp report` answers without importing Plotly.
"""

from __future__ import annotations

from pathlib import Path

FOLDER = "report"
INDEX = "index.html"


def index_path(warehouse_dir: Path) -> Path:
    """Where the current report is (whether or not one was written yet)."""
    return Path(warehouse_dir) / FOLDER / INDEX
