"""customer_rfm: RFM per customer with a qualifying order in the window (rules §3). Scores
1-5, the eight segments of the tag catalog with their labels, the `rfm_code` of the scores."""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation

from expectations import catalog
from expectations.checks import between, in_set, matches, not_null
from expectations.published.common import TableSuite

SCORES = ("r_score", "f_score", "m_score")


def expectations() -> list[Expectation]:
    return [
        *not_null(*SCORES, "recency_days", "frequency", "monetary", "rfm_segment"),
        *(between(score, 1, 5) for score in SCORES),
        in_set("rfm_segment", catalog.values("rfm_segment")),
        in_set("rfm_segment_label", catalog.labelled("rfm_segment")),
        matches("rfm_code", r"^[1-5]{3}$"),
        in_set("rfm_code_is_scores", [True]),
        between("recency_days", 0),
        between("frequency", 1),
        between("monetary", 0),
    ]


SUITE = TableSuite(
    table="customer_rfm",
    key=("customer_id",),
    expectations=expectations,
    derived={
        "rfm_segment_label": catalog.label_sql("'rfm_segment'", "rfm_segment", "rfm_segment_zh"),
        "rfm_code_is_scores": "rfm_code = concat(r_score, f_score, m_score)",
    },
)
