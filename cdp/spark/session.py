"""A local Spark session for the steps after the build that read Spark's tables (the quality
gate), and the registering of Spark's Parquet folders in it.

The session is configured as the dbt profile's `spark` target (dbt_project/profiles.yml):
`local[CDP_THREADS]`, UI and console progress off, UTC, `CDP_SPARK_JAVA_OPTIONS` for the
driver's JVM. Its catalog is in memory (`spark.sql.catalogImplementation=in-memory`), not
dbt's Derby metastore (one process at a time): each table is registered over its Parquet
folder when first read (`register`), and the catalog goes with the session.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


LIST_ON_THE_DRIVER = "100000"
"""Spark lists a table's folders with a job of its own from 32 of them on; a local session's
job runs on the same cores, after its start-up: the raw tables' year of date partitions is
listed on the driver instead (registering the demo's 13 raw tables, 389 partitions each:
11 s instead of 36 s, the first time in a session)."""

MANAGE_PARTITIONS = "spark.sql.hive.manageFilesourcePartitions"
"""Off in the local session, as in the profile's `spark` target: a partitioned table's
partitions are its folders, which Spark lists as it reads (on the driver), and the catalog
keeps none, so registering a table needs no `recover partitions`."""

QUERY_CONTEXT_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")
"""pyspark logs every failed query's Java stack as JSON on these: the gate reports such a
query's first line in the check's failure instead (a missing table or column)."""


def keep_root_logger_quiet() -> None:
    """A null handler for the root logger of a process that has not set logging up. py4j
    logs a retried command with `logging.info`, and the root logger's module-level functions
    give a root without handlers a stderr handler (`logging.basicConfig`): from then on every
    library record that reaches the root (Dagster's, dagster-dbt's) was printed amid a Spark
    night's progress lines."""
    if not logging.root.handlers:
        logging.root.addHandler(logging.NullHandler())


@contextmanager
def local_session(threads: int | None = None, java_options: str = "") -> Iterator[Any]:
    """A local SparkSession with an in-memory catalog, stopped on leaving (its warehouse
    folder, where `create database` makes empty folders, is a temporary one)."""
    from pyspark.logger import PySparkLogger
    from pyspark.sql import SparkSession

    for name in QUERY_CONTEXT_LOGGERS:
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
    keep_root_logger_quiet()
    cores = threads or 2
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers run this interpreter
    scratch = Path(tempfile.mkdtemp(prefix="cdp-spark-"))
    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("cdp-gate")
        .config("spark.sql.catalogImplementation", "in-memory")
        .config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
        .config("spark.sql.shuffle.partitions", str(cores))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.sources.parallelPartitionDiscovery.threshold", LIST_ON_THE_DRIVER)
        .config(MANAGE_PARTITIONS, "false")
        .config("spark.driver.extraJavaOptions", java_options)
        .getOrCreate()
    )
    try:
        yield session
    finally:
        session.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def register(session: Any, schema: str, table: str, folder: Path) -> bool:
    """Register the Parquet files of `folder` as the table `<schema>.<table>` (replacing one
    of that name), with its partitions (`<column>=<value>` subfolders, as ingestion writes the
    raw tables); False, and nothing registered, when the folder holds no Parquet file."""
    if not folder.is_dir() or not any(folder.rglob("*.parquet")):
        if session.catalog.tableExists(f"`{schema}`.`{table}`"):  # an earlier read's
            session.sql(f"drop table `{schema}`.`{table}`")
        return False
    location = str(folder.resolve()).replace("\\", "\\\\").replace("'", "\\'")
    session.sql(f"create database if not exists `{schema}`")
    session.sql(f"drop table if exists `{schema}`.`{table}`")
    session.sql(f"create table `{schema}`.`{table}` using parquet location '{location}'")
    if session.conf.get(MANAGE_PARTITIONS, "true").lower() == "true":  # a catalog keeping them
        columns = session.catalog.listColumns(f"`{schema}`.`{table}`")
        if any(column.isPartition for column in columns):
            session.sql(f"alter table `{schema}`.`{table}` recover partitions")
    return True
