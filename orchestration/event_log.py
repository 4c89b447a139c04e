"""Dagster's SQLite event log, with open connections and a batch of asset events written in
one transaction.

A run over a range of extract dates records one event per asset and partition twice: planned
when the run is created, materialized when the step ends. A year of history is 364 dates × 10
ingestion assets: 7,280 events. Dagster's `SqliteEventLogStorage` writes each on its own (a new
SQLite engine, an insert into the run's database, a transaction on the index database) and
has no batch write; at ~8 ms an event that was a minute of a full build's wall time.

Dagster already hands these events over in batches when `DAGSTER_EVENT_BATCH_SIZE` is set
(the planned events of a run, the materializations of one output's partitions). This storage
writes such a batch as Dagster writes each of its events, only together: the run database's
rows in one insert, the index database's rows, tags and asset entries in one transaction.
Any other event of a batch goes through Dagster's own `store_event`.

Every other event (a step's start, a dbt model's materialization, an asset check's result:
~750 a night) is written on its own, and Dagster opened a new SQLite engine and connection
for each, then closed it. This storage keeps the connections of the last few databases open
(the index and the runs being written), behind Dagster's own lock as before, and remembers
which of Dagster's tables the index has.

`cdp` selects this storage in the `dagster.yaml` it writes into a new Dagster home, and sets
the batch size (orchestration/cli/main.py).
"""

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from orchestration.lib.dagster_private import (
    ASSET_EVENTS,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    EventLogEntry,
    SqlEventLogStorageTable,
    SqliteEventLogStorage,
)

OPEN_DATABASES = 4
"""Connections kept open: the index and the latest run databases."""


class BatchedSqliteEventLogStorage(SqliteEventLogStorage):
    @classmethod
    def from_config_value(cls, inst_data, config_value) -> "BatchedSqliteEventLogStorage":
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[sa.Connection]:
        """Dagster's `_connect` (one transaction, under its lock) on a kept connection."""
        with self._db_lock:
            engine = self._engine(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> sa.Engine:
        """The kept engine of a database (one connection), the least recently used one closed
        beyond OPEN_DATABASES. Called under the lock; the cache is made on first use, as
        Dagster's `__init__` already connects to the index."""
        engines: OrderedDict[str, sa.Engine] = self.__dict__.setdefault("_engines", OrderedDict())
        if shard in engines:
            engines.move_to_end(shard)
            return engines[shard]
        engine = sa.create_engine(
            self.conn_string_for_shard(shard),
            poolclass=StaticPool,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        if shard not in self._initialized_dbs:
            self._initdb(engine)
            self._initialized_dbs.add(shard)
        engines[shard] = engine
        while len(engines) > OPEN_DATABASES:
            engines.popitem(last=False)[1].dispose()
        return engine

    def has_table(self, table_name: str) -> bool:
        """Dagster's question, asked of the index once the answer is yes: a table only comes
        with a migration. Dagster asks it for every asset check event (whether the index has
        the checks' table), each time with a new SQLite engine: ~130 a night, 0.4 s."""
        tables: set[str] = self.__dict__.setdefault("_tables", set())
        if table_name not in tables and super().has_table(table_name):
            tables.add(table_name)
        return table_name in tables

    def _close_all(self) -> None:
        with self._db_lock:
            engines = self.__dict__.pop("_engines", {})
            for engine in engines.values():
                engine.dispose()

    def wipe(self) -> None:
        self._close_all()
        super().wipe()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """The asset events of the batch together; any other (an asset check's planned
        evaluation comes in the same batch as the planned materializations) on its own."""
        assets = [e for e in events if e.is_dagster_event and e.dagster_event_type in ASSET_EVENTS]
        for run_id in {event.run_id for event in assets}:
            self._store_asset_events([e for e in assets if e.run_id == run_id])
        for event in events:
            if not (event.is_dagster_event and event.dagster_event_type in ASSET_EVENTS):
                self.store_event(event)

    def _store_asset_events(self, events: list[EventLogEntry]) -> None:
        """What `SqliteEventLogStorage.store_event` writes for each asset event of one run."""
        rows = [self._event_to_row(event) for event in events]
        with self.run_connection(events[0].run_id) as conn:
            conn.execute(SqlEventLogStorageTable.insert(), rows)
        with self.index_transaction() as conn:
            event_ids = [
                conn.execute(SqlEventLogStorageTable.insert().values(**row)).inserted_primary_key[0]
                for row in rows
            ]
            self._store_asset_event_tags(conn, events, event_ids)
            for event, event_id in zip(events, event_ids):
                self._store_asset_event(conn, event, event_id)
