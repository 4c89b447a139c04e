"""Tools beside the runtime: the synthetic landing zone (`generate`, for `cdp demo`,
`cdp generate` and the tests) and the benchmarks (`bench`, for `cdp bench` and `make bench`).
Only the command line (orchestration/cli) and the tests import them; no runtime code does
(tests/test_layers.py)."""
