"""wecom_tag_sync: what `cdp sync-wecom` must change in WeCom, one row per (staff, customer)
relationship with something to add or remove. A change list: it may drop to zero rows after
a sync, so its row count is not compared with the last publish."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation

from expectations.checks import between, not_null
from expectations.published.common import TableSuite


def expectations() -> list[Expectation]:
    return [
        *not_null("customer_id", "add_tags", "remove_tags"),
        between("changes", 1),
    ]


SUITE = TableSuite(
    table="wecom_tag_sync",
    key=("userid", "external_userid"),
    expectations=expectations,
    derived={"changes": "coalesce(len(add_tags), 0) + coalesce(len(remove_tags), 0)"},
    compare_rows=False,
)
