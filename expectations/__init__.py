"""The quality gate's expectation suites, as code, on GX Core 1.x.

- `gx_layer`: one GX context per gate run, a pandas datasource, batch-by-batch validation of
  frames read from DuckDB, compact failure lines and the Data Docs site;
- `checks`: `FrameCheck`, one query validated against one suite;
- `inputs`, `identity`, `published/<table>`: the suites, one module per input kind or table;
- `gate`: `run_gate`, the entry point the orchestration calls.

GX analytics are turned off here, before any module of the package imports GX.
"""

import os

os.environ["GX_ANALYTICS_ENABLED"] = "false"
