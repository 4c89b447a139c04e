"""`adapter` for sqlfluff's plain jinja templater (the fast lint pass without dbt, `.sqlfluff`).

dbt's `adapter.dispatch('m')` picks the macro of the target's engine (`spark__m`) or the
default (`default__m`). Here no engine is chosen: it returns `default__m`, which the templater
loaded with the project's macros, so every model renders the DuckDB SQL it lints.
"""

from jinja2 import pass_context


@pass_context
def dispatch(context, macro_name, macro_namespace=None):
    return context[f"default__{macro_name}"]
