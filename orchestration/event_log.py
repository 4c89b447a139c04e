"""Dagster's SQLite event log, writing a batch of asset events in one transaction.

A run over a range of extract dates records one event per asset and partition twice: planned
when the run is created, materialized when the step ends. A year of history is 364 dates × 10
ingestion assets: 7,280 events. Dagster's `SqliteEventLogStorage` writes each on its own (a new
SQLite engine, an insert into the run's database, a transaction on the index database) and
has no batch write; at ~8 ms an event that was a minute of a full build's wall time.

Dagster already hands these events over in batches when `DAGSTER_EVENT_BATCH_SIZE` is set
(the planned events of a run, the materializations of one output's partitions). This storage
writes such a batch as Dagster writes each of its events, only together: the run database's
rows in one insert, the index database's rows, tags and asset entries in one transaction.
Any other event of a batch goes through Dagster's own `store_event`. `cdp` selects this
storage in the `dagster.yaml` it writes into a new Dagster home, and sets the batch size
(cdp/cli.py).
"""

from collections.abc import Sequence

from dagster._core.events import ASSET_EVENTS
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.event_log.schema import SqlEventLogStorageTable


class BatchedSqliteEventLogStorage(SqliteEventLogStorage):
    @classmethod
    def from_config_value(cls, inst_data, config_value) -> "BatchedSqliteEventLogStorage":
        return cls(inst_data=inst_data, **config_value)

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
