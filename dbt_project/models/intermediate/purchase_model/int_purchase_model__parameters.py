"""The purchase model's parameters of every run (rules §7), the fitting step.

BG/NBD and Gamma-Gamma are fitted on the qualifying orders as of D with the day as the time
unit (`cdp.purchase_model.steps.parameters`): the rows of runs before D are kept, those of
D and later replaced by D's fit, which starts from the last run's parameters and keeps them
for a model that does not converge. The table reads its own rows before dbt replaces it, so
the history outlives `dbt build --full-refresh`. D is the var `as_of` (the config below),
else the environment variable CDP_AS_OF, as for the SQL models (macros/run/as_of.sql). On a
Spark session the same steps run there (`cdp.purchase_model.spark`).
"""

from cdp.purchase_model.steps import parameters
from cdp.settings import dbt_as_of
from cdp.spark import is_spark


def model(dbt, session):
    orders = dbt.ref("int_customers__qualifying_orders")
    as_of = dbt_as_of(dbt.config.get("as_of"))
    if is_spark(session):
        from cdp.purchase_model import spark

        return spark.parameters(
            session, orders, history=f"{dbt.this.schema}.{dbt.this.identifier}", as_of=as_of
        )
    return parameters(
        session,
        orders=f"({orders.sql_query()})",
        history=f"{dbt.this.database}.{dbt.this.schema}.{dbt.this.identifier}",
        as_of=as_of,
    )
