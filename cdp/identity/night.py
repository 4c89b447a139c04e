"""What a night's stitching redoes: the components its new occurrences touch.

A night adds a few thousand occurrences to a graph of millions of identifiers. The
identifiers it redoes (`redo`) are:

* every identifier and anchor of the occurrences the night recorded (`recorded_as_of` after
  the D the table was last built as of): new nodes, new edges, new first-seen dates or
  systems;
* every identifier the night made shared (it leaves the graph, and its edges with it);
* every identifier of the customers any of those belonged to in the table before the night.

Each redone set is closed under the kept edges as of D: an edge a night did not add was a
kept edge the night before (a value, once shared, stays shared until a full build), so both
its ends belonged to one customer, and that customer is redone whole. Stitching those
identifiers alone therefore gives them the ids a run over the whole graph gives them, and
every other identifier keeps its row (docs/incremental.md).
"""

from __future__ import annotations

from datetime import date

import duckdb


def built_as_of(session: duckdb.DuckDBPyConnection, table: str, log: str) -> str | None:
    """The D a table of the identity graph holds (the latest row of the incremental builds'
    `log` for it, `record_increment`), or None when it must be built in full: the pre-hook
    (`reset_increment`) empties it then."""
    if not session.execute(f"select exists (select 1 from {table})").fetchall()[0][0]:
        return None
    rows = session.execute(
        f"select cast(as_of as varchar) from {log} where model = ?"
        " order by recorded_at desc limit 1",
        [table.split(".")[-1]],
    ).fetchall()
    return rows[0][0] if rows else None


def redo(
    session: duckdb.DuckDBPyConnection,
    *,
    occurrences: duckdb.DuckDBPyRelation,
    shared: duckdb.DuckDBPyRelation,
    previous_table: str,
    since: str,
) -> duckdb.DuckDBPyRelation:
    """The `identifier_key`s to stitch again on a night after `since` (see above)."""
    recorded = occurrences.filter(f"recorded_as_of > date '{date.fromisoformat(since)}'")
    touched = (
        recorded.filter("identifier_key is not null").select("identifier_key")
        .union(recorded.filter("anchor_key is not null").select("anchor_key as identifier_key"))
        .union(shared.select("identifier_key"))
    )
    previous = session.table(previous_table)
    customers = previous.join(touched, "identifier_key", how="semi").select("customer_id")
    return touched.union(
        previous.join(customers, "customer_id", how="semi").select("identifier_key")
    ).distinct()
