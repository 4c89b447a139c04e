"""customer_profile: one row per customer, the golden record without a direct identifier.
Gender codes, the masked name (one character, then `*`s), the birth month, the masked and
hashed mobile (never the number itself: the common suite looks for raw numbers in every
text and list column), the source systems, order totals."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation

from expectations.checks import at_least, between, in_set, matches, not_null
from expectations.published.common import TableSuite

SOURCES = ("member", "miniprogram", "wecom")
SOURCE = "(?:" + "|".join(SOURCES) + ")"


def expectations() -> list[Expectation]:
    return [
        *not_null("gender", "sources", "order_count", "total_spend"),
        *not_null("member_ids", "openids", "external_userids", "owner_userids"),
        in_set("gender", ["male", "female", "unknown"]),
        matches("name_masked", r"^.\*+$"),
        between("birth_month", 1, 12),
        matches("mobile_masked", r"^1[3-9][0-9]\*{4}[0-9]{4}$"),
        matches("mobile_sha256", r"^[0-9a-f]{64}$"),
        matches("sources", rf"^{SOURCE}(?:,{SOURCE})*$"),
        between("order_count", 0),
        between("total_spend", 0),
        at_least("last_order_date", "first_order_date"),
    ]


SUITE = TableSuite(table="customer_profile", key=("customer_id",), expectations=expectations)
