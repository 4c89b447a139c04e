"""What the project adds to run on Apache Spark (README "Running on Spark"): dbt with a
submission method that runs the Python models in dbt-spark's own session (`dbt`), Spark's
tables for the steps after the build (`tables`), and the quality gate's local session over
them (`session`)."""


def is_spark(session: object) -> bool:
    """Whether a Python model's `session` is a Spark session (else DuckDB's connection)."""
    return type(session).__module__.startswith("pyspark.")
