"""customer_profile: one row per customer, the golden record without a direct identifier.
The gate checks the shapes of the masked and hashed values (the masked name: one character,
then `*`s; the masked mobile; the SHA-256) and the source list; the common checks look for raw
numbers in every text and list column. Codes and ranges are dbt's."""

from __future__ import annotations

from expectations.published.common import TableSuite

SOURCES = ("member", "miniprogram", "wecom")
SOURCE = "(?:" + "|".join(SOURCES) + ")"

SUITE = TableSuite(
    table="customer_profile",
    key=("customer_id",),
    rules={
        "name_masked keeps one character": r"regexp_matches(name_masked, '^.\*+$')",
        "mobile_masked is 138****1234": (
            r"regexp_matches(mobile_masked, '^1[3-9][0-9]\*{4}[0-9]{4}$')"
        ),
        "mobile_sha256 is a SHA-256": "regexp_matches(mobile_sha256, '^[0-9a-f]{64}$')",
        "sources lists sources": (
            f"regexp_matches(array_to_string(sources, ','), '^{SOURCE}(?:,{SOURCE})*$')"
        ),
    },
)
