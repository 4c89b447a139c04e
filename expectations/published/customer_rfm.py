"""customer_rfm: RFM per customer with a qualifying order in the window (rules §3). The
segments' labels from the tag catalog and the `rfm_code` of the scores; scores and codes are
dbt's constraints."""

from __future__ import annotations

from expectations import catalog
from expectations.published.common import TableSuite

SUITE = TableSuite(
    table="customer_rfm",
    key=("customer_id",),
    rules={
        "rfm_segment_zh from the catalog": catalog.labelled_sql(
            "'rfm_segment'", "rfm_segment", "rfm_segment_zh"
        ),
        "rfm_code is three scores": "regexp_matches(rfm_code, '^[1-5]{3}$')",
        "rfm_code is r, f, m": "rfm_code = concat(r_score, f_score, m_score)",
    },
)
