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

from expectations import catalog
from expectations.checks import RuleCheck
from expectations.published.common import TableSuite, row_name


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


def across_rows() -> list[RuleCheck]:
    """The tier thresholds the rows imply; the customers' tier_watch tag."""
    return [
        RuleCheck(
            name="published.customer_tier__thresholds",
            label="customer_tier",
            query=thresholds_sql(),
            rules={
                "one threshold per tier": "thresholds = 1",
                "tier by its threshold": "tier_off_threshold = 0",
                "projected tier by its threshold": "projected_tier_off_threshold = 0",
            },
            example=row_name(("tier", "threshold")),
            unit="tiers",
        ),
        RuleCheck(
            name="published.customer_tier__tier_watch_tag",
            label="customer_tier/customer_tags",
            query=TIER_WATCH_TAG,
            rules={"tier_watch tag of the risk and the gap": "tier_watch_tag_mismatch is null"},
            example="customer_id || ': ' || tier_watch_tag_mismatch",
            unit="customers",
        ),
    ]


SUITE = TableSuite(
    table="customer_tier",
    key=("customer_id",),
    rules={
        "next_value_tier follows value_tier": (
            "next_value_tier is not distinct from "
            + catalog.next_sql("value_tier", "value_tier")
        ),
        "spend_to_next_tier exactly with a next tier": (
            "(spend_to_next_tier is null) = (next_value_tier is null)"
        ),
        "projected tier not above the tier": (
            f"{_rank('projected_value_tier_30d')} <= {_rank('value_tier')}"
        ),
        "downgrade_risk exactly when projected below": (
            f"downgrade_risk = ({_rank('projected_value_tier_30d')} < {_rank('value_tier')})"
        ),
    },
    extra=across_rows,
)
