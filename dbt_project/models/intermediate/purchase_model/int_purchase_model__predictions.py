"""The purchase model's scores as of D (rules §7), the predicting step: per customer with a
qualifying order, P(alive), expected orders in 90 days, expected order value and 365-day CLV
from D's parameters (`cdp.purchase_model.steps.predictions`, on Spark
`cdp.purchase_model.spark.predictions`); no rows when D has none. D as in
int_purchase_model__parameters.
"""

from cdp.purchase_model.steps import predictions
from cdp.settings import dbt_as_of
from cdp.spark import is_spark


def model(dbt, session):
    dbt.config(materialized="table")
    orders = dbt.ref("int_customers__qualifying_orders")
    fitted = dbt.ref("int_purchase_model__parameters")
    as_of = dbt_as_of(dbt.config.get("as_of"))
    if is_spark(session):
        from cdp.purchase_model import spark

        return spark.predictions(session, orders, fitted, as_of)
    return predictions(
        session,
        orders=f"({orders.sql_query()})",
        parameters_table=f"({fitted.sql_query()})",
        as_of=as_of,
    )
