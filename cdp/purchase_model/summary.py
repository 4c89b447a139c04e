"""The per-customer summary the purchase model is fitted on (rules §7), computed in DuckDB.

As of the date D, on the qualifying orders dated D or earlier, with the day as the time unit:

* a purchase day is a date with at least one order; its spend is the sum of those orders;
* `x`: repeat purchase days, the distinct order dates after the first;
* `t_x`: days from the first to the last order date (0 when x = 0);
* `T`: days from the first order date to D (D - first date: a first order on D gives 0);
* `m`: mean daily spend over the repeat purchase days (the first day's spend left out, as the
  Gamma-Gamma model asks), 0.0 when x = 0.
Spend stays a decimal until the mean, which is one division of the exact sum by the count:
the same orders give the same summary (and the same fit, to the last bit) whatever order the
threads add them in, on DuckDB and on Spark alike (Spark's decimal average would round to six
decimals).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

SUMMARY_SQL = """
with purchase_days as (
    select customer_id, order_date, sum(amount) as spend
    from {orders}
    where order_date <= {as_of}
    group by customer_id, order_date
),

dated as (
    select
        customer_id,
        order_date,
        spend,
        min(order_date) over (partition by customer_id) as first_date
    from purchase_days
)

select
    customer_id,
    cast(count(*) - 1 as bigint) as x,
    cast({t_x} as bigint) as t_x,
    cast({T} as bigint) as {quote}T{quote},
    coalesce(
        cast(sum(case when order_date > first_date then spend end) as double)
        / nullif(count(case when order_date > first_date then 1 end), 0),
        0.0
    ) as m
from dated
group by customer_id
order by customer_id
"""
DAYS = {
    "duckdb": "date_diff('day', {start}, {end})",
    "spark": "datediff({end}, {start})",
}
"""Days from one date to another, per engine (the SQL models' `date_diff_days` macro)."""
QUOTES = {"duckdb": '"', "spark": "`"}


def summary_sql(orders: str, as_of: date, engine: str = "duckdb") -> str:
    """The summary's query on DuckDB or Spark SQL (see `customer_summary`)."""
    days = DAYS[engine]
    day = f"date '{as_of.isoformat()}'"
    return SUMMARY_SQL.format(
        orders=orders,
        as_of=day,
        t_x=days.format(start="min(order_date)", end="max(order_date)"),
        T=days.format(start="min(order_date)", end=day),
        quote=QUOTES[engine],
    )


def customer_summary(
    conn: duckdb.DuckDBPyConnection, orders: str, as_of: date
) -> pd.DataFrame:
    """One row per customer with a qualifying order dated `as_of` or earlier: `customer_id`,
    `x`, `t_x`, `T` (int64 days) and `m` (float64).

    `orders` is a SQL relation, a table name or a parenthesised select, with columns
    `customer_id`, `order_date` (date) and `amount`: the qualifying orders. It is pasted into
    the query, so it must come from the pipeline, never from user input.
    """
    return conn.execute(summary_sql(orders, as_of)).df()
