"""The tag catalog page (docs/tags.md) lists exactly the tags of var `tag_catalog`, the one
place the models take tag codes and Chinese labels from; every column of every published (and
restricted) model has a description, which shows in Dagster, in dbt docs, as a comment in the
published database and in the report."""

import json
import re
from pathlib import Path

import yaml

from orchestration.dbt_manifest import MANIFEST, prepare_manifest

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


def test_every_published_column_has_a_description():
    # The contracts are enforced, so a model's YAML lists every column its SQL returns.
    prepare_manifest()
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    models = [
        node for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and {"published", "restricted"} & set(node["config"].get("tags", []))
    ]
    assert {"customer_profile", "customer_contacts"} <= {node["name"] for node in models}
    missing = [
        f"{node['name']}.{column}"
        for node in sorted(models, key=lambda node: node["name"])
        for column, spec in node["columns"].items()
        if not (spec.get("description") or "").strip()
    ]
    assert not missing, f"columns without a description: {', '.join(missing)}"
