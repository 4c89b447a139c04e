"""The quality gate (expectations/, GX) as blocking Dagster asset checks.

Two places, so that nothing is built or published on bad data:

- `input_gate`, a blocking check on every ingestion asset (`raw/<source>/<entity>`), runs
  after ingestion and before dbt: required columns, codes, amounts, timestamps of the rows the
  run brings in, the quarantine rate of every file, and the volume of every snapshot against
  the one before (a truncated member export stops here). A failure skips the build and the
  publish; the `build` job runs these checks too.
- the publish step (orchestration/defs/publish.py) validates the identity graph and every
  table it is about to publish, and publishes only when all of it passes.

Both write GX Data Docs (HTML) under `<warehouse>/data_docs` and a JSON report of the run
under `<warehouse>/gate/<run id>.json`.
"""

import dagster as dg

from ingestion.contracts import ENTITIES
from orchestration.defs.resources import Spark, Warehouse
from orchestration.lib.as_of import AsOfConfig, resolve_as_of
from orchestration.lib.asset_keys import asset_key
from orchestration.lib.progress import progress
from orchestration.lib.quality_gate import CHECK_NAME, check_results, run_suites

INPUT_KEYS = {("input", e.label): asset_key(e) for e in ENTITIES}


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=key,
            blocking=True,
            description="GX suite of the landing-zone input: required columns, codes, amounts, "
            "timestamps, quarantine rate per file, snapshot volume against the one before.",
        )
        for key in INPUT_KEYS.values()
    ],
    name="input_gate",
)
def input_gate(
    context: dg.AssetCheckExecutionContext, config: AsOfConfig, warehouse: Warehouse, spark: Spark
):
    as_of = resolve_as_of(config.as_of, context.op_execution_context)
    report = run_suites(context.op_execution_context, warehouse, spark, as_of, kinds=("input",))
    say = progress(context.op_execution_context)
    say(f"quality gate, inputs: {'passed' if report.passed else 'REFUSED, nothing is built'}")
    yield from check_results(report, INPUT_KEYS, str(report.docs_index))
