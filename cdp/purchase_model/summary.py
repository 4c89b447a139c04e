"""The per-customer summary the purchase model is fitted on (rules §7), computed in DuckDB.

As of the date D, on the qualifying orders dated D or earlier, with the day as the time unit:

* a purchase day is a date with at least one order; its spend is the sum of those orders;
* `x`: repeat purchase days, the distinct order dates after the first;
* `t_x`: days from the first to the last order date (0 when x = 0);
* `T`: days from the first order date to D (D - first date: a first order on D gives 0);
* `m`: mean daily spend over the repeat purchase days (the first day's spend left out, as the
  Gamma-Gamma model asks), 0.0 when x = 0.
Spend stays a decimal until the mean: exact sums, so the same orders give the same summary
(and the same fit, to the last bit) whatever order DuckDB's threads add them in.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

SUMMARY_SQL = """
with purchase_days as (
    select customer_id, order_date, sum(amount) as spend
    from {orders}
    where order_date <= $as_of
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
    count(*)::bigint - 1 as x,
    date_diff('day', min(order_date), max(order_date))::bigint as t_x,
    date_diff('day', min(order_date), $as_of::date)::bigint as "T",
    coalesce(avg(spend) filter (where order_date > first_date), 0.0)::double as m
from dated
group by customer_id
order by customer_id
"""


def customer_summary(
    conn: duckdb.DuckDBPyConnection, orders: str, as_of: date
) -> pd.DataFrame:
    """One row per customer with a qualifying order dated `as_of` or earlier: `customer_id`,
    `x`, `t_x`, `T` (int64 days) and `m` (float64).

    `orders` is a SQL relation, a table name or a parenthesised select, with columns
    `customer_id`, `order_date` (date) and `amount`: the qualifying orders. It is pasted into
    the query, so it must come from the pipeline, never from user input.
    """
    return conn.execute(SUMMARY_SQL.format(orders=orders), {"as_of": as_of}).df()
