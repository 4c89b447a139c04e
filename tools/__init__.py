"""Tools beside the runtime: the synthetic landing zone (`generate`, for `cdp demo`,
`cdp generate` and the tests), the benchmarks (`bench`, for `cdp bench` and `make bench`) and
the lint of the dbt models (`lint`, for `make lint`).
Only the command line (orchestration/cli) and the tests import them; no runtime code does
(tests/test_layers.py)."""
