"""`cdp bench`: benchmarks that print figures (never run inside the test suite's timing)."""

HISTORY_DAYS = 365
"""`cdp bench`'s default history: a year of extract dates."""
