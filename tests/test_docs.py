"""The tag catalog page (docs/tags.md) lists exactly the tags of var `tag_catalog`, the one
place the models take tag codes and Chinese labels from."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\| `(?P<value>[^`]+)` \| (?P<label>[^|]+) \| (?P<rule>[^|]+) \|$")
HEADING = re.compile(r"^## .*\(`(?P<group>\w+)`\)$")


def _documented() -> list[tuple[str, str, str, str]]:
    rows, group = [], None
    for line in (ROOT / "docs" / "tags.md").read_text(encoding="utf-8").splitlines():
        if heading := HEADING.match(line):
            group = heading["group"]
        elif row := ROW.match(line):
            rows.append((group, row["value"], row["label"].strip(), row["rule"].strip()))
    return rows


def test_tag_page_lists_the_catalog_var_in_order():
    project = yaml.safe_load((ROOT / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))
    catalog = [(t["group"], t["value"], t["label_zh"], t["rule"]) for t in project["vars"]["tag_catalog"]]
    assert len(catalog) == 48
    assert _documented() == catalog
