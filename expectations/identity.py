"""The identity suite: the identity graph of this run (marts.identity_graph_stats).

The row of the run's as-of date exists; no identifier belongs to two customers; the largest
customer holds at most `max_customer_identifiers` identifiers; the run merged away at most
`max_merge_rate` of the customers, or `merges_always_allowed` when that is more (a handful of
merges among a few customers is no sign of a runaway graph): `merges_over_bound` ≤ 0.
"""

from __future__ import annotations

import datetime as dt

from cdp.settings import GateSettings
from expectations.checks import FrameCheck, between, not_null, row_count

TABLE = "identity_graph_stats"
SUITE = f"identity.{TABLE}"

SQL = f"""
    select
        as_of_date,
        customers,
        merged_customers,
        identifiers_in_several_customers,
        largest_customer_identifiers,
        merged_customers / greatest(customers, 1) as merge_rate,
        merged_customers - greatest(cast(ceil(? * customers) as bigint), ?) as merges_over_bound
    from marts.{TABLE}
    where as_of_date = ?
"""


def checks(*, as_of: dt.date, settings: GateSettings) -> list[FrameCheck]:
    expectations = (
        row_count(1),
        *not_null(
            "customers",
            "merged_customers",
            "identifiers_in_several_customers",
            "largest_customer_identifiers",
        ),
        between("identifiers_in_several_customers", 0, 0),
        between("largest_customer_identifiers", high=settings.max_customer_identifiers),
        between("merges_over_bound", high=0),
    )
    return [
        FrameCheck(
            name=SUITE,
            label=TABLE,
            expectations=expectations,
            sql=SQL,
            params=(settings.max_merge_rate, settings.merges_always_allowed, as_of),
            id_columns=("as_of_date",),
        )
    ]
