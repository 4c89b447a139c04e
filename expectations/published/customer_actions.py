"""customer_actions: the day's task list, one row per (customer, proposed action) with its
status under the contact policy (playbook §15). A day's list: its size is what the day
brings (a wave of new members, a category coming due), so its row count is not compared
with the last publish.

Per row: an action of the catalog's names with its label, priority and a status and channel
from their sets; an owner and external_userid exactly for the WeCom channel; `unreachable`
exactly when the channel is `none`; a subject exactly for replenishment_reminder (a
category) and churn_recall (`medium` or `high`).

Across rows (no dbt var is read, so a run with other vars is judged the same way): the
policy's customer-wide steps hold per customer (a customer's actions are all `unreachable`
or none are; all `suppressed` or none are, among the reachable), a `deferred` action never
comes before an action that went on (by priority, then action), and the control split is a
threshold on the md5 bucket: every `control` row's bucket is below every `issued` row's.
"""

from __future__ import annotations

from expectations.checks import RuleCheck
from expectations.published.common import TableSuite, holding, row_name

BUCKET = "cast(('0x' || substr(md5(customer_id || ':' || action), 1, 8)) as bigint) % 100"

PER_CUSTOMER = """
    with ranked as (
        select
            customer_id,
            status,
            row_number() over (partition by customer_id order by priority, action) as place
        from marts.customer_actions
    )
    select
        customer_id,
        count(distinct status = 'unreachable') as unreachable_kinds,
        count(distinct status = 'suppressed') filter (where status <> 'unreachable')
            as suppressed_kinds,
        coalesce(
            max(place) filter (where status in ('issued', 'control'))
            > min(place) filter (where status = 'deferred'),
            false
        ) as deferred_before_one_that_went_on
    from ranked
    group by customer_id
"""

CONTROL_SPLIT = f"""
    select
        coalesce(max({BUCKET}) filter (where status = 'control'), -1) as highest_control_bucket,
        coalesce(min({BUCKET}) filter (where status = 'issued'), 100) as lowest_issued_bucket,
        coalesce(max({BUCKET}) filter (where status = 'control'), -1)
            < coalesce(min({BUCKET}) filter (where status = 'issued'), 100) as split_holds
    from marts.customer_actions
"""


ROW_CHECKS = {
    "owner exactly for wecom": (
        "(owner_userid is not null and external_userid is not null) = (channel = 'wecom')"
    ),
    "unreachable exactly without a channel": "(status = 'unreachable') = (channel = 'none')",
    "subject exactly for replenishment and churn": (
        "case action when 'churn_recall' then subject in ('medium', 'high') "
        "when 'replenishment_reminder' then subject is not null else subject is null end"
    ),
}


def across_rows() -> list[RuleCheck]:
    """The customer-wide steps of the policy, and the control split."""
    return [
        RuleCheck(
            name="published.customer_actions__per_customer",
            label="customer_actions",
            query=PER_CUSTOMER,
            rules={
                "all or none unreachable": "unreachable_kinds = 1",
                "all or none suppressed": "suppressed_kinds <= 1",
                "no deferred before one that went on": "not deferred_before_one_that_went_on",
            },
            example="customer_id",
            unit="customers",
        ),
        RuleCheck(
            name="published.customer_actions__control_split",
            label="customer_actions",
            query=CONTROL_SPLIT,
            rules={"control buckets below issued buckets": "split_holds"},
            example=row_name(("highest_control_bucket", "lowest_issued_bucket")),
        ),
    ]


SUITE = TableSuite(
    table="customer_actions",
    key=("customer_id", "action"),
    rules=holding(ROW_CHECKS),
    compare_rows=False,
    extra=across_rows,
)
