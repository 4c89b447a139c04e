"""`cdp-dbt`: dbt Core, with Python models runnable on a local Spark session.

dbt-spark submits Python models only to Databricks (its `job_cluster` and
`all_purpose_cluster` methods). With the profile's `method: session` dbt-spark runs Spark
inside the dbt process, so a Python model can run there too: this entry point adds the
submission method `session`, which executes the model's compiled code (the model, then
dbt-spark's `py_write_table`, which saves its DataFrame as the model's table) against that
same session, and makes it the default when the connection is a session. Every other target
and command is dbt's, unchanged: the DuckDB build runs through this entry point as well.
Python's collector runs less often in it, as in every process of the project
(cdp/garbage_collection.py).

A cluster reached through the Thrift Server has no Python beside it: there, Python models
keep dbt-spark's own methods (README "Running on Spark").
"""

from __future__ import annotations

import os
import sys
from typing import Any

from cdp.garbage_collection import collect_less_often

SESSION = "session"


class SessionPythonJobHelper:
    """Runs a Python model's compiled code in the Spark session of this process."""

    def __init__(self, parsed_model: dict, credentials: Any) -> None:
        self.name = f"{parsed_model['schema']}.{parsed_model['alias']}"

    def submit(self, compiled_code: str) -> None:
        from pyspark.sql import SparkSession

        spark = SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
        code = compile(compiled_code, f"<dbt Python model {self.name}>", "exec")
        exec(code, {"__name__": f"dbt_model_{self.name}", "spark": spark})


def add_session_submission() -> None:
    """Give dbt-spark's adapter the `session` submission method (the default on a session
    connection)."""
    from dbt.adapters.spark.impl import SparkAdapter

    helpers = SparkAdapter.python_submission_helpers.fget
    default = SparkAdapter.default_python_submission_method.fget

    def python_submission_helpers(self) -> dict[str, type]:
        return {**helpers(self), SESSION: SessionPythonJobHelper}

    def default_python_submission_method(self) -> str:
        on_session = self.config.credentials.method == SESSION
        return SESSION if on_session else default(self)

    SparkAdapter.python_submission_helpers = property(python_submission_helpers)
    SparkAdapter.default_python_submission_method = property(default_python_submission_method)


def add_session_submission_when_spark_loads() -> None:
    """Add the `session` method once dbt loads dbt-spark, which it does for a Spark target
    only: a DuckDB build never imports dbt-spark and pyspark (1.4 s of each build here)."""
    from dbt.adapters.factory import AdapterContainer

    load_plugin = AdapterContainer.load_plugin

    def load_plugin_then_add(self: AdapterContainer, name: str) -> Any:
        credentials = load_plugin(self, name)
        if name == "spark":
            add_session_submission()
        return credentials

    AdapterContainer.load_plugin = load_plugin_then_add


def main() -> None:
    collect_less_often()
    # Spark's Python workers (a model's `mapInPandas`) run this interpreter, which has the
    # project's packages, not whatever `python3` the PATH finds first.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    add_session_submission_when_spark_loads()
    from dbt.cli.main import cli

    cli()


if __name__ == "__main__":
    main()
