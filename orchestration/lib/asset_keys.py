"""The asset key of a landing-zone entity, `raw/<source>/<entity>`: the ingestion asset and
the dbt source of the models are one asset (orchestration/lib/dbt/translator.py)."""

import dagster as dg

from ingestion.contracts import Entity


def asset_key(entity: Entity) -> dg.AssetKey:
    return dg.AssetKey(["raw", entity.source, entity.name])
