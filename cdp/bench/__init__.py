"""`cdp bench`: benchmarks that print figures (never run inside the test suite's timing)."""
