"""The quality gate's expectation suites, as code, on GX Core 1.x.

The gate checks what dbt's contracts and tests cannot say: the run's inputs against the load
log and the snapshot before, the identity graph's bounds, rules tying a published table's
columns, rows and sibling tables together, no raw mobile number anywhere, and every table's
rows against the last publish. The database computes each check's small frame (a row per
file, per snapshot, per tier; one row of counts per table); GX validates it. The SQL is written
once, in DuckDB's dialect; on Spark the same queries are translated and run by Spark.

- `gx_layer`: one GX context per gate run, a pandas datasource, validation of one small
  frame per check, compact failure lines and the Data Docs site;
- `checks`: `RuleCheck` (rules counted by the database) and `FrameCheck` (a small query or
  frame with expectations of its own);
- `inputs`, `identity`, `published/<table>`: the suites, one module per input kind or table;
- `gate`: `run_gate`, the entry point the orchestration calls;
- `queries`: every read of the gate behind one interface, `Queries`, and `DuckDBQueries`;
  `spark_queries`: `SparkQueries`, the same reads on a Spark session, the SQL translated by
  sqlglot, with the corrections of `spark_sql`.

GX analytics are turned off here, before any module of the package imports GX, and so is
the warning pyspark (the `spark` extra) gives when GX imports it beside pandas 3: GX only
looks for it (the gate on Spark hands GX pandas frames too), and the warning would end every
`cdp run`'s output.
"""

import os
import warnings

os.environ["GX_ANALYTICS_ENABLED"] = "false"
warnings.filterwarnings(
    "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
)
