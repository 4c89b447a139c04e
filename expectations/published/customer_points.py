"""customer_points: the points ledger of every customer with points, all its member ids pooled
(playbook §11).

Per row: balances and flags never null; earned_90d and expiring_30d ≥ 0; expiring_30d at most
the positive part of the balance; points expiring only with a next expiry date, which is after
D; balance_mismatch exactly when the member system's balance is known and differs.

Across tables (no dbt var is read): the `points` tag (`expiring_soon`) goes to customers of
this table only, at most one each, and every tagged customer has more expiring_30d than every
untagged one (one threshold for everyone, whatever `points_expiring_min` is; a tagged
customer at or below an untagged one is named with the untagged customer's figure).
"""

from __future__ import annotations

from expectations.checks import RuleCheck
from expectations.published.common import TableSuite

TAG_PER_CUSTOMER = """
    with
    tagged as (
        select customer_id, string_agg(tag_value, ',' order by tag_value) as tag
        from marts.customer_tags
        where tag_source = 'rule' and tag_group = 'points'
        group by customer_id
    ),
    joined as (
        select
            coalesce(points.customer_id, tagged.customer_id) as customer_id,
            points.customer_id is not null as has_points,
            points.expiring_30d,
            tagged.tag
        from marts.customer_points as points
        full join tagged on points.customer_id = tagged.customer_id
    ),
    bound as (
        select max(expiring_30d) as largest_untagged from joined where tag is null
    )
    select
        joined.customer_id,
        case
            when joined.tag is not null and not joined.has_points
                then joined.tag || ' without a row in customer_points'
            when joined.tag is not null and joined.tag <> 'expiring_soon'
                then joined.tag || ', expected expiring_soon'
            when joined.tag is not null and joined.expiring_30d <= bound.largest_untagged
                then 'expiring_soon at ' || joined.expiring_30d
                    || ', untagged at ' || bound.largest_untagged
        end as points_tag_mismatch
    from joined, bound
"""


def tag() -> list[RuleCheck]:
    """The customers' points tag against expiring_30d."""
    return [
        RuleCheck(
            name="published.customer_points__tag",
            label="customer_points/customer_tags",
            query=TAG_PER_CUSTOMER,
            rules={"points tag for the largest expiring": "points_tag_mismatch is null"},
            example="customer_id || ': ' || points_tag_mismatch",
            unit="customers",
        )
    ]


SUITE = TableSuite(
    table="customer_points",
    key=("customer_id",),
    rules={
        "expiring within the balance": "expiring_30d <= greatest(points_balance, 0)",
        "next expiry after the as-of date": "next_expiry_date > as_of_date",
        "expiring has an expiry date": "expiring_30d = 0 or next_expiry_date is not null",
        "balance_mismatch follows the balances": (
            "balance_mismatch = coalesce(member_system_balance <> points_balance, false)"
        ),
    },
    extra=tag,
)
