"""The purchase model's parameters of every run (rules §7), the fitting step.

BG/NBD and Gamma-Gamma are fitted on the qualifying orders as of D with the day as the time
unit (`cdp.purchase_model.steps.parameters`): the rows of runs before D are kept, those of
D and later replaced by D's fit, which starts from the last run's parameters and keeps them
for a model that does not converge. The table reads its own rows before dbt replaces it, so
the history outlives `dbt build --full-refresh`. D is the var `as_of` (the config below),
else the environment variable CDP_AS_OF, as for the SQL models (macros/run/as_of.sql).
"""

from cdp.purchase_model.steps import parameters
from cdp.settings import dbt_as_of


def model(dbt, session):
    dbt.config(materialized="table")
    orders = dbt.ref("int_customers__qualifying_orders")
    return parameters(
        session,
        orders=f"({orders.sql_query()})",
        history=f"{dbt.this.database}.{dbt.this.schema}.{dbt.this.identifier}",
        as_of=dbt_as_of(dbt.config.get("as_of")),
    )
