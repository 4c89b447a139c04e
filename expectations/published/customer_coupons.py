"""customer_coupons: every customer with a coupon grant, its unused coupons and the last 180
days' redemption (playbook §12).

Per row: counts never null and ≥ 0; expiring_7d at most unused_coupons and used_180d at most
granted_180d; a next expiry (on D or later) exactly when a coupon is unused; face value only
for unused coupons; redemption_rate_180d = used_180d / granted_180d in [0, 1], null exactly
when nothing was granted.

Across tables: the `coupon` tag (`expiring_soon`) goes to exactly the customers with
expiring_7d ≥ 1, once each.
"""

from __future__ import annotations

from expectations.checks import RuleCheck
from expectations.published.common import TableSuite

TAG_PER_CUSTOMER = """
    with
    tagged as (
        select customer_id, string_agg(tag_value, ',' order by tag_value) as tag
        from marts.customer_tags
        where tag_source = 'rule' and tag_group = 'coupon'
        group by customer_id
    ),
    joined as (
        select
            coalesce(coupons.customer_id, tagged.customer_id) as customer_id,
            case when coupons.expiring_7d >= 1 then 'expiring_soon' end as expected_tag,
            tagged.tag
        from marts.customer_coupons as coupons
        full join tagged on coupons.customer_id = tagged.customer_id
    )
    select
        customer_id,
        case
            when tag is distinct from expected_tag
                then coalesce(tag, 'no tag') || ', expected ' || coalesce(expected_tag, 'no tag')
        end as coupon_tag_mismatch
    from joined
"""


def tag() -> list[RuleCheck]:
    """The customers' coupon tag against expiring_7d."""
    return [
        RuleCheck(
            name="published.customer_coupons__tag",
            label="customer_coupons/customer_tags",
            query=TAG_PER_CUSTOMER,
            rules={"coupon tag exactly when expiring": "coupon_tag_mismatch is null"},
            example="customer_id || ': ' || coupon_tag_mismatch",
            unit="customers",
        )
    ]


SUITE = TableSuite(
    table="customer_coupons",
    key=("customer_id",),
    rules={
        "next expiry exactly when unused": (
            "(next_coupon_expiry is not null) = (unused_coupons > 0)"
        ),
        "face value only when unused": "unused_coupons > 0 or unused_face_value = 0",
        "rate is used over granted": (
            "case when granted_180d = 0 then redemption_rate_180d is null else coalesce("
            "abs(redemption_rate_180d - used_180d / granted_180d) <= 1e-9, false) end"
        ),
    },
    extra=tag,
)
