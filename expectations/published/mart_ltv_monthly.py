"""mart_ltv_monthly: the LTV levers per calendar month, from the month of the earliest
joined_date to D's (playbook §14). A small table (one row per month): its row count is
compared with the last publish like every table's, which in practice never happens (fewer
than 100 months); the month sequence is checked instead.

Per row: `month` a first day; counts and revenue never null and ≥ 0; buyers at most the
customer base and the orders, returning buyers at most the buyers, new customers at most the
base; rates in [0, 1]; the ratios follow their counts (`ratio_mismatch` names those that do
not): average_order_value = revenue / orders, orders_per_customer = orders / customer_base,
each null exactly when its denominator is 0, repurchase_rate null exactly without buyers,
first_order_conversion_30d null exactly without new customers, and revenue = customer_base ×
average_order_value × orders_per_customer.

Across rows (`sequence_mismatch`, `log_change_mismatch`): consecutive months, exactly one
month to date and it is D's month (the last), customer_base the running sum of
new_customers, no returning buyer in the first month, and each log change ln of this
month's value over the previous month's (null where either is null or 0, so in the first
month), the three summing to ln of the revenue ratio.
"""

from __future__ import annotations

from expectations.checks import RuleCheck
from expectations.gx_layer import quote
from expectations.published.common import TableSuite, holding

LEVERS = {
    "base_log_change": "customer_base",
    "aov_log_change": "average_order_value",
    "frequency_log_change": "orders_per_customer",
}
TOLERANCE = 1e-9


def _close(actual: str, expected: str) -> str:
    """SQL: `actual` is within a relative TOLERANCE of `expected`, both not null."""
    return (
        f"coalesce(abs(({actual}) - ({expected})) "
        f"<= {TOLERANCE} * greatest(1, abs({expected})), false)"
    )


def _ratio(column: str, numerator: str, denominator: str) -> str:
    """SQL: `column` is numerator / denominator, null exactly when the denominator is 0."""
    expected = f"cast({numerator} as double) / {denominator}"
    return (
        f"case when {denominator} = 0 then {column} is null "
        f"else {_close(column, expected)} end"
    )


RATIO_CHECKS = {
    "average_order_value": _ratio("average_order_value", "revenue", "orders"),
    "orders_per_customer": _ratio("orders_per_customer", "orders", "customer_base"),
    "repurchase_rate": "(repurchase_rate is null) = (buyers = 0)",
    "first_order_conversion_30d": "(first_order_conversion_30d is null) = (new_customers = 0)",
    "revenue": (
        "case when orders = 0 then revenue = 0 else "
        + _close(
            "cast(revenue as double)",
            "customer_base * average_order_value * orders_per_customer",
        )
        + " end"
    ),
}


def _log_change(column: str, value: str) -> str:
    previous = f"lag({value}) over by_month"
    expected = f"case when {value} > 0 and {previous} > 0 then ln({value} / {previous}) end"
    return (
        f"case when ({expected}) is null then {column} is null "
        f"else {_close(column, expected)} end"
    )


SEQUENCE_CHECKS = {
    "month after the previous": (
        "lag(month) over by_month is null "
        "or month = cast(lag(month) over by_month + interval 1 month as date)"
    ),
    "month to date iff the as-of month": (
        "is_month_to_date = (month = cast(date_trunc('month', as_of_date) as date))"
    ),
    "not after the as-of month": "month <= as_of_date",
    "customer_base the running sum of new_customers": (
        "customer_base = sum(new_customers) over by_month"
    ),
    "no returning buyer in the first month": (
        "lag(month) over by_month is not null or returning_buyers = 0"
    ),
}

LOG_CHECKS = {
    **{column: _log_change(column, value) for column, value in LEVERS.items()},
    "sum": (
        "base_log_change is null or aov_log_change is null or frequency_log_change is null "
        "or lag(revenue) over by_month = 0 or "
        + _close(
            "base_log_change + aov_log_change + frequency_log_change",
            "ln(cast(revenue as double) / lag(revenue) over by_month)",
        )
    ),
}


def _flags(checks: dict[str, str]) -> str:
    """SQL select items: each check as a boolean column named after it (window functions
    cannot be counted in a filter, so the query computes them)."""
    return ",\n        ".join(
        f"coalesce({sql}, false) as {quote(name)}" for name, sql in checks.items()
    )


ALL_SEQUENCE_CHECKS = {
    **SEQUENCE_CHECKS,
    **{f"{name} log change": sql for name, sql in LOG_CHECKS.items()},
}

SEQUENCE = f"""
    select
        cast(month as varchar) as month,
        count(*) filter (where is_month_to_date) over () as month_to_date_rows,
        {_flags(ALL_SEQUENCE_CHECKS)}
    from marts.mart_ltv_monthly
    window by_month as (order by month)
"""


def sequence() -> list[RuleCheck]:
    """The months in order: one month to date, the running base, the log changes."""
    return [
        RuleCheck(
            name="published.mart_ltv_monthly__sequence",
            label="mart_ltv_monthly",
            query=SEQUENCE,
            rules={
                "one month to date": "month_to_date_rows = 1",
                **{name: quote(name) for name in ALL_SEQUENCE_CHECKS},
            },
            example="month",
            unit="months",
        )
    ]


SUITE = TableSuite(
    table="mart_ltv_monthly",
    key=("month",),
    rules={
        "month is a first day": "month = cast(date_trunc('month', month) as date)",
        **holding(RATIO_CHECKS),
    },
    extra=sequence,
)
