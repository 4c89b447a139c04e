"""Resources: the landing zone and the build database, both configured from settings, and dbt
(the venv's dbt Core on the project of dbt_project/)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from cdp.settings import Settings
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


RESOURCES = {
    "landing": LandingZone(),
    "warehouse": Warehouse(),
    "dbt": DbtCoreCliResource(
        project_dir=DBT_PROJECT, profiles_dir=str(PROJECT_DIR), dbt_executable=dbt_executable()
    ),
}

defs = dg.Definitions(resources=RESOURCES)
