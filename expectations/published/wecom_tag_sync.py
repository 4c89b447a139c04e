"""wecom_tag_sync: what `cdp sync-wecom` must change in WeCom, one row per (staff, customer)
relationship with something to add or remove. A change list: it may drop to zero rows after
a sync, so its row count is not compared with the last publish."""

from __future__ import annotations

from expectations.published.common import TableSuite

SUITE = TableSuite(
    table="wecom_tag_sync",
    key=("userid", "external_userid"),
    rules={
        "a row changes a tag": (
            "coalesce(array_length(add_tags), 0) + coalesce(array_length(remove_tags), 0) >= 1"
        )
    },
    compare_rows=False,
)
