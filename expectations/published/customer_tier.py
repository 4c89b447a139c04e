"""customer_tier: the value tier per customer joined by D (rules §6), the member system's own
tier beside it, the change against the last run, and tier keeping (playbook §13).

Per row: tiers from the tag catalog; next_value_tier the tier after value_tier in catalog
order (null at the top) and spend_to_next_tier > 0 exactly when there is one; spend_leaving_30d
in [0, spend_365d]; the projected tier never above value_tier, and downgrade_risk exactly
when it is below.

Across rows (no dbt var is read: the thresholds are learned from the rows): per tier, one
threshold (spend_365d + spend_to_next_tier of the customers one tier below), every customer
at or above the tier spending at least it and every customer below spending less, and the
same for the projected tier and spend_365d − spend_leaving_30d. Across tables: the
`tier_watch` tag, at most one per customer, is `downgrade_risk` exactly for the customers at
risk, and `near_upgrade` only for others with a next tier, each closer to it (smaller
spend_to_next_tier) than every untagged customer without risk (one bound for everyone,
whatever `tier_near_upgrade_spend` is; a tagged customer at or beyond an untagged one is named
with the untagged customer's figure).
"""

from __future__ import annotations

from great_expectations.expectations.expectation import Expectation

from expectations import catalog
from expectations.checks import FrameCheck, at_least, between, in_set, not_null, null
from expectations.published.common import TableSuite

MEMBER_SYSTEM_TIERS = ("NORMAL", "SILVER", "GOLD", "PLATINUM")
TIER_CHANGES = ("new", "upgrade", "downgrade", "same")


def _rank(value: str) -> str:
    return catalog.rank_sql("value_tier", value)


def thresholds_sql() -> str:
    """Per tier with customers one tier below: the thresholds they imply and the customers
    on the wrong side of the tier's threshold, by spend and by projected spend."""
    return f"""
    with thresholds as (
        select
            next_value_tier as tier,
            count(distinct spend_365d + spend_to_next_tier) as thresholds,
            min(spend_365d + spend_to_next_tier) as threshold
        from marts.customer_tier
        where next_value_tier is not null and spend_to_next_tier is not null
        group by next_value_tier
    )
    select
        thresholds.tier,
        any_value(thresholds.thresholds) as thresholds,
        cast(any_value(thresholds.threshold) as double) as threshold,
        count(*) filter (
            where ({_rank('tiers.value_tier')} >= {_rank('thresholds.tier')})
            <> (tiers.spend_365d >= thresholds.threshold)
        ) as tier_off_threshold,
        count(*) filter (
            where ({_rank('tiers.projected_value_tier_30d')} >= {_rank('thresholds.tier')})
            <> (tiers.spend_365d - tiers.spend_leaving_30d >= thresholds.threshold)
        ) as projected_tier_off_threshold
    from thresholds
    cross join marts.customer_tier as tiers
    group by thresholds.tier
    """


TIER_WATCH_TAG = """
    with
    tagged as (
        select customer_id, string_agg(tag_value, ',' order by tag_value) as tag
        from marts.customer_tags
        where tag_source = 'rule' and tag_group = 'tier_watch'
        group by customer_id
    ),
    joined as (
        select
            coalesce(tiers.customer_id, tagged.customer_id) as customer_id,
            tiers.customer_id is not null as has_tier,
            tiers.downgrade_risk,
            tiers.spend_to_next_tier,
            tagged.tag
        from marts.customer_tier as tiers
        full join tagged on tiers.customer_id = tagged.customer_id
    ),
    bound as (
        select min(spend_to_next_tier) as closest_untagged
        from joined
        where tag is null and not downgrade_risk
    )
    select
        joined.customer_id,
        case
            when joined.tag is not null and not joined.has_tier
                then joined.tag || ' without a row in customer_tier'
            when joined.downgrade_risk and joined.tag is distinct from 'downgrade_risk'
                then coalesce(joined.tag, 'no tag') || ', expected downgrade_risk'
            when joined.downgrade_risk
                then null
            when joined.tag = 'near_upgrade' and joined.spend_to_next_tier is null
                then 'near_upgrade without a next tier'
            when joined.tag is not null and joined.tag <> 'near_upgrade'
                then joined.tag || ', expected near_upgrade or no tag'
            when joined.tag = 'near_upgrade'
                and joined.spend_to_next_tier >= bound.closest_untagged
                then 'near_upgrade at ' || joined.spend_to_next_tier
                    || ', untagged at ' || bound.closest_untagged
        end as tier_watch_tag_mismatch
    from joined, bound
"""


def expectations() -> list[Expectation]:
    tiers = catalog.values("value_tier")
    return [
        *not_null("value_tier", "spend_365d", "tier_mismatch", "tier_change"),
        *not_null("spend_leaving_30d", "projected_value_tier_30d", "downgrade_risk"),
        in_set("value_tier", tiers),
        in_set("previous_value_tier", tiers),
        in_set("member_system_tier", MEMBER_SYSTEM_TIERS),
        in_set("tier_change", TIER_CHANGES),
        in_set("next_value_tier", tiers[1:]),
        in_set("projected_value_tier_30d", tiers),
        between("spend_365d", 0),
        between("spend_to_next_tier", 0, strict_low=True),
        between("spend_leaving_30d", 0),
        at_least("spend_365d", "spend_leaving_30d"),
        in_set("next_tier_follows_tier", [True]),
        in_set("spend_to_next_iff_next_tier", [True]),
        in_set("projected_not_above_tier", [True]),
        in_set("downgrade_risk_iff_projected_below", [True]),
    ]


def across_rows() -> list[FrameCheck]:
    """The tier thresholds the rows imply; the customers' tier_watch tag."""
    return [
        FrameCheck(
            name="published.customer_tier__thresholds",
            label="customer_tier",
            expectations=(
                between("thresholds", 1, 1),
                between("tier_off_threshold", 0, 0),
                between("projected_tier_off_threshold", 0, 0),
            ),
            sql=thresholds_sql(),
            id_columns=("tier", "threshold"),
            unit="tiers",
        ),
        FrameCheck(
            name="published.customer_tier__tier_watch_tag",
            label="customer_tier/customer_tags",
            expectations=(null("tier_watch_tag_mismatch"),),
            sql=TIER_WATCH_TAG,
            id_columns=("customer_id",),
            unit="customers",
        ),
    ]


SUITE = TableSuite(
    table="customer_tier",
    key=("customer_id",),
    expectations=expectations,
    derived={
        "next_tier_follows_tier": (
            "next_value_tier is not distinct from "
            + catalog.next_sql("value_tier", "value_tier")
        ),
        "spend_to_next_iff_next_tier": (
            "(spend_to_next_tier is null) = (next_value_tier is null)"
        ),
        "projected_not_above_tier": (
            f"{_rank('projected_value_tier_30d')} <= {_rank('value_tier')}"
        ),
        "downgrade_risk_iff_projected_below": (
            f"downgrade_risk = ({_rank('projected_value_tier_30d')} < {_rank('value_tier')})"
        ),
    },
    extra=across_rows,
)
