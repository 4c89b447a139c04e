"""Resources: the landing zone and the build database, both configured from settings, the
local Spark session of a run on Spark, and dbt (the venv's dbt Core on the project of
dbt_project/)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from cdp.settings import Settings
from cdp.spark.session import local_session
from ingestion import warehouse
from orchestration.dbt_manifest import PROJECT_DIR, dbt_executable
from orchestration.lib.dagster_private import DbtCoreCliResource
from orchestration.lib.dbt.project import DBT_PROJECT


class LandingZone(dg.ConfigurableResource):
    """Where the extracts land; empty means the `CDP_LANDING_DIR` setting."""

    landing_dir: str = ""

    @property
    def path(self) -> Path:
        return Path(self.landing_dir) if self.landing_dir else Settings.from_env().landing_dir


class Warehouse(dg.ConfigurableResource):
    """The one way into the build DuckDB database (one writer at a time).

    Empty fields fall back to the settings `CDP_WAREHOUSE_DIR`, `CDP_THREADS`,
    `CDP_MEMORY_LIMIT` and `CDP_INGEST_MEMORY_LIMIT`.
    """

    warehouse_dir: str = ""
    threads: int = 0
    memory_limit: str = ""
    ingest_memory_limit: str = ""

    @property
    def build_database(self) -> Path:
        folder = Path(self.warehouse_dir) if self.warehouse_dir else Settings.from_env().warehouse_dir
        return warehouse.build_database(folder)

    @contextmanager
    def connect(self, *, ingesting: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the build database; `ingesting` gives it the ingestion's limit."""
        settings = Settings.from_env()
        if ingesting:
            memory_limit = (
                self.ingest_memory_limit or self.memory_limit or settings.ingest_memory_limit
            )
        else:
            memory_limit = self.memory_limit or settings.memory_limit
        conn = warehouse.connect(
            self.build_database, threads=self.threads or settings.threads, memory_limit=memory_limit
        )
        try:
            yield conn
        finally:
            conn.close()


class Spark(dg.ConfigurableResource):
    """The local Spark session of a run with `CDP_ENGINE=spark`, on which ingestion reads the
    extracts and the quality gate reads Spark's tables (cdp/spark/session.py). It starts on
    first use and stops when the run ends: the steps of a run in one process (the in-process
    executor sets a resource up once per run) share one session. Empty `threads` means the
    setting `CDP_THREADS`. (dbt's build runs in a process of its own, with its own session.)"""

    threads: int = 0
    _sessions: ExitStack = PrivateAttr(default_factory=ExitStack)
    _session: Any = PrivateAttr(default=None)

    def session(self) -> Any:
        if self._session is None:
            settings = Settings.from_env()
            self._session = self._sessions.enter_context(
                local_session(self.threads or settings.threads, settings.engine.spark_java_options)
            )
        return self._session

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._session = None
        self._sessions.close()


RESOURCES = {
    "landing": LandingZone(),
    "warehouse": Warehouse(),
    "spark": Spark(),
    "dbt": DbtCoreCliResource(
        project_dir=DBT_PROJECT, profiles_dir=str(PROJECT_DIR), dbt_executable=dbt_executable()
    ),
}

defs = dg.Definitions(resources=RESOURCES)
