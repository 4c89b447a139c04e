"""mart_action_outcomes: per (issue date, action), the issued and control groups and what
they bought within the outcome window (playbook §16).

Per row: an action of the catalog's names; an issue date before the run's as-of date; counts
and revenue never null nor negative, converted customers at most their group; each
conversion rate its converted / group, null exactly for an empty group; the uplift the
difference of the rates, null when either is; no revenue without a converted customer.
"""

from __future__ import annotations

from expectations.published.common import TableSuite, holding

TOLERANCE = 1e-9


def _rate(rate: str, converted: str, group: str) -> str:
    return (
        f"case when {group} = 0 then {rate} is null else "
        f"coalesce(abs({rate} - cast({converted} as double) / {group}) <= {TOLERANCE}, false) end"
    )


ROW_CHECKS = {
    "issue date before the as-of date": "issue_date < as_of_date",
    "issued rate": _rate("conversion_rate_issued", "issued_converted", "issued"),
    "control rate": _rate("conversion_rate_control", "control_converted", "control"),
    "uplift": (
        "case when conversion_rate_issued is null or conversion_rate_control is null "
        "then uplift is null else coalesce(abs(uplift - (conversion_rate_issued - "
        f"conversion_rate_control)) <= {TOLERANCE}, false) end"
    ),
    "issued revenue only with a conversion": "issued_converted > 0 or issued_revenue = 0",
    "control revenue only with a conversion": "control_converted > 0 or control_revenue = 0",
}


SUITE = TableSuite(
    table="mart_action_outcomes",
    key=("issue_date", "action"),
    rules=holding(ROW_CHECKS),
)
