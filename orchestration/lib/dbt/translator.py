"""How the dbt project becomes Dagster assets: keys, groups, the checks' descriptions.

The dbt sources of the three landing-zone systems are the ingestion assets themselves
(`raw/<source>/<entity>`), so ingestion and the models form one lineage graph; the load log
and the quarantine are `raw/_loads` and `raw/_quarantine`. A model's key is
`<schema>/<name>` (its relation in the build database: staging, intermediate, marts) and its
group the layer folder it lives in. Importing this module loads no definitions.
"""

import re
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtProject

from ingestion.contracts import ENTITIES, SOURCES, entity
from orchestration.lib.asset_keys import asset_key
from orchestration.lib.dagster_private import with_description

LAYERS = ("staging", "intermediate", "marts")
INGESTION_SOURCE = "ingestion"
"""The dbt source of ingestion's own tables, `raw._loads` and `raw._quarantine`."""


def layer(props: Mapping[str, Any]) -> str | None:
    fqn = props.get("fqn") or []
    return fqn[1] if len(fqn) > 2 and fqn[1] in LAYERS else None


def test_description(test: Mapping[str, Any]) -> str:
    """What a dbt data test checks, in words: its own description, else one made from the
    generic test and its arguments (e.g. "`status` is one of: issued, control")."""
    if test.get("description", "").strip():
        return " ".join(test["description"].split())
    meta = test.get("test_metadata") or {}
    kwargs = meta.get("kwargs") or {}
    column = f"`{kwargs.get('column_name')}`"
    match meta.get("name"):
        case "not_null":
            return f"{column} is never null"
        case "unique":
            return f"{column} is unique: one row per value"
        case "accepted_values":
            return f"{column} is one of: {', '.join(map(str, kwargs.get('values', [])))}"
        case "relationships":
            target = re.sub(r"^ref\('(.+)'\)$", r"\1", str(kwargs.get("to", "")))
            return f"every {column} is a `{kwargs.get('field')}` of `{target}`"
        case "cdp_unique_combination":
            return f"one row per ({', '.join(kwargs.get('columns', []))})"
    return f"dbt test `{test.get('name', '')}`"


class CdpDbtTranslator(DagsterDbtTranslator):
    """Sources are the ingestion assets; models are `<schema>/<name>`, grouped by layer."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        props = dbt_resource_props
        if props["resource_type"] == "source":
            source, table = props["source_name"], props["name"]
            if source in SOURCES:
                return asset_key(entity(f"{source}/{table}"))
            if source == INGESTION_SOURCE:
                return dg.AssetKey(["raw", table])
            return super().get_asset_key(props)
        if props["resource_type"] in ("model", "seed", "snapshot"):
            return dg.AssetKey([props["schema"], props["name"]])
        return super().get_asset_key(props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return dbt_resource_props["schema"]
        return layer(dbt_resource_props) or super().get_group_name(dbt_resource_props)

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        """A dbt test's check says what it checks (the UI shows no test SQL)."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        test = manifest["nodes"].get(unique_id, {})
        if spec is None or spec.description:
            return spec
        return with_description(spec, test_description(test))

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        """A seed (the action catalog operators edit) is read by the night's build like the
        extracts: it comes after them, in the same `dbt build` as the models. Without upstream
        assets Dagster would give it a step, and a dbt start-up, of its own before ingestion."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        if manifest["nodes"].get(unique_id, {}).get("resource_type") == "seed":
            spec = spec.merge_attributes(deps=[asset_key(e) for e in ENTITIES])
        return spec
