"""Identity stitching's Python step: components of the graph and stable customer ids.

Rules §1, as documented in docs/rules.md. In one pass over Arrow / NumPy arrays:

1. number the identifiers in founder order (first seen, then the smallest candidate id),
   find each edge end's number with a DuckDB join, and label the connected
   components of the kept edges with SciPy's sparse-graph search, so a chain of any length
   is one customer;
2. give every component a customer id from the ids its identifiers held after the last run
   before the as-of date D (`previous`):
   * none: a new id, the candidate id of its founder, the identifier seen first (earliest
     extract date, ties: the smallest candidate id); should that id have been used before,
     the id of (founder, D) instead, so an id is never given to anyone else;
   * one: it keeps it;
   * several: the id first assigned survives (ties: the smallest id); the others are merged
     away (the SQL id history records it);
   * an id held by identifiers now in several components (a split, after an identifier
     became shared) stays with the component holding its identifier seen first.

Customer ids are `cus_` + 16 lowercase hex digits: comparing them as strings orders them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from cdp.settings import today_local

ID_PREFIX = "cus_"
OUTPUT_COLUMNS = (
    "identifier_key",
    "identifier_type",
    "identifier_value",
    "first_seen_date",
    "seen_in_member",
    "seen_in_miniprogram",
    "seen_in_wecom",
)


def candidate_id(key: str) -> str:
    """The id a component founded by this identifier key gets (same as the SQL macro)."""
    return ID_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def components_of(n_nodes: int, from_node: np.ndarray, to_node: np.ndarray) -> np.ndarray:
    """The component label of every node 0..n_nodes-1 of an undirected edge list."""
    graph = coo_matrix(
        (np.ones(len(from_node), dtype=np.int8), (from_node, to_node)),
        shape=(n_nodes, n_nodes),
    ).tocsr()
    _, labels = connected_components(graph, directed=True, connection="weak")
    return labels


def assign(
    founders_first: pa.Array,
    from_node: np.ndarray,
    to_node: np.ndarray,
    held_node: np.ndarray,
    held_code: np.ndarray,
    registry: pa.Array,
    refound: Callable[[int], str],
) -> pa.Array:
    """The customer id of every node (see the module docstring).

    Nodes are numbered 0..n-1 in founder order (first seen, then smallest candidate id);
    `founders_first` holds their candidate ids in that order. The ids held before D are given
    as node / code pairs, a code being a position in `registry`: every id used before D, in the
    order ids were first assigned (ties: the smallest first). `refound(node)` is the id a
    component founded by that node gets when its candidate id was used before.
    """
    n = len(founders_first)
    if n == 0:
        return pa.array([], pa.string())
    labels = components_of(n, from_node, to_node)
    n_labels = int(labels.max()) + 1

    # A component's founder is its first node; a previous id's home the component of its
    # first node still here; a component's survivor the first assigned of the ids homed there.
    founder = np.full(n_labels, n, dtype=np.int64)
    np.minimum.at(founder, labels, np.arange(n, dtype=np.int64))
    n_codes = len(registry)
    home = np.full(n_codes, n, dtype=np.int64)
    np.minimum.at(home, held_code, held_node)
    homed = np.flatnonzero(home < n)
    survivor = np.full(n_labels, n_codes, dtype=np.int64)
    np.minimum.at(survivor, labels[home[homed]], homed)
    kept = np.flatnonzero(survivor < n_codes)

    # Components without a survivor found their founder's candidate id, or, when that id was
    # used before, the id of (founder, D).
    founded = founders_first.take(pa.array(founder))
    fresh = survivor == n_codes
    used = pc.is_in(founded, value_set=registry).to_numpy(zero_copy_only=False)
    reused = np.flatnonzero(fresh & used)
    refounded = pa.array([refound(int(founder[label])) for label in reused], pa.string())

    # Every id handed out in one array, and per component the position of its id in it.
    pick = np.arange(n_labels, dtype=np.int64)
    pick[kept] = n_labels + survivor[kept]
    pick[reused] = n_labels + n_codes + np.arange(len(reused), dtype=np.int64)
    handed_out = pa.concat_arrays([founded, registry, refounded])
    return handed_out.take(pa.array(pick[labels]))


def _column(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy().astype(np.int64, copy=False)


def stitch(
    session: duckdb.DuckDBPyConnection,
    *,
    identifiers: duckdb.DuckDBPyRelation,
    kept_edges: duckdb.DuckDBPyRelation,
    history_table: str,
    as_of: str | date,
    redo: duckdb.DuckDBPyRelation | None = None,
) -> pa.Table:
    """The identifiers with their `customer_id` (the dbt model's result).

    With `redo` (a relation of `identifier_key`s: whole components of the graph as of D,
    see `cdp.identity.night`), only those identifiers are stitched and returned: the
    components are closed under the kept edges, so their ids are the ones a run over the
    whole graph gives them. The string work (numbering the nodes in founder order, the edge
    ends, matching the history) is done by DuckDB joins; NumPy and SciPy only see integers.
    """
    if isinstance(as_of, date):
        day = as_of
    else:
        day = date.fromisoformat(str(as_of)) if str(as_of).strip() else today_local()
    identifiers.to_view("_stitch_identifiers", replace=True)
    redone = ""
    if redo is not None:
        redo.to_view("_stitch_redo", replace=True)
        redone = "semi join _stitch_redo as r on i.identifier_key = r.identifier_key"
    try:
        # Candidate ids are `cus_` + 16 lowercase hex digits: ordering them as the number
        # those digits write orders them as text, and sorts in half the time.
        nodes = session.sql(
            "select i.*, row_number() over (order by first_seen_date,"
            " ('0x' || substr(candidate_customer_id, 5))::ubigint) - 1 as node"
            f" from _stitch_identifiers as i {redone}"
        ).to_arrow_table()
        session.register(
            "_stitch_nodes", nodes.select(["identifier_key", "node", "candidate_customer_id"])
        )
        edges = kept_edges.set_alias("e").join(
            session.table("_stitch_nodes").set_alias("f"), "e.from_key = f.identifier_key"
        ).join(
            session.table("_stitch_nodes").set_alias("t"), "e.to_key = t.identifier_key"
        ).select("f.node as from_node, t.node as to_node").to_arrow_table()
        held, registry = _previous(session, history_table, day, every_id=redo is None)
    finally:
        session.unregister("_stitch_nodes")
        session.execute("drop view if exists _stitch_redo")
        session.execute("drop view if exists _stitch_identifiers")
    node = _column(nodes, "node")
    row_of_node = np.empty(len(node), dtype=np.int64)
    row_of_node[node] = np.arange(len(node), dtype=np.int64)
    keys = nodes.column("identifier_key")
    ids_by_node = assign(
        founders_first=nodes.column("candidate_customer_id").combine_chunks().take(
            pa.array(row_of_node)
        ),
        from_node=_column(edges, "from_node"),
        to_node=_column(edges, "to_node"),
        held_node=_column(held, "node"),
        held_code=_column(held, "code"),
        registry=registry.column("customer_id").combine_chunks(),
        refound=lambda n: candidate_id(f"{keys[int(row_of_node[n])].as_py()}@{day.isoformat()}"),
    )
    return pa.table(
        {
            "customer_id": ids_by_node.take(pa.array(node)),
            **{name: nodes.column(name) for name in OUTPUT_COLUMNS},
        }
    )


def _previous(
    session: duckdb.DuckDBPyConnection, history_table: str, as_of: date, *, every_id: bool
) -> tuple[pa.Table, pa.Table]:
    """The ids the nodes held after the last run before D (node, code) and the registry of
    the ids used before D in the order they were first assigned; empty on a first run.
    Unless `every_id` (the whole graph is stitched), the registry holds only the ids that
    matter here: those the nodes held, and the nodes' candidate ids, which may not be
    handed out again."""
    database, schema, table = history_table.split(".")
    exists = session.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = ? and table_schema = ? and table_name = ?",
        [database, schema, table],
    ).fetchall()[0][0]
    if not exists:
        return (
            pa.table({"node": pa.array([], pa.int64()), "code": pa.array([], pa.int64())}),
            pa.table({"customer_id": pa.array([], pa.string())}),
        )
    session.execute(
        f"""
        create or replace temp table _stitch_held as
        select n.node, h.customer_id
        from {history_table} as h
        inner join _stitch_nodes as n on h.identifier_key = n.identifier_key
        where h.valid_from < $as_of and (h.valid_to is null or h.valid_to >= $as_of)
        """,
        {"as_of": as_of},
    )
    matter = (
        "and customer_id in (select customer_id from _stitch_held"
        " union all select candidate_customer_id from _stitch_nodes)"
    )
    session.execute(
        f"""
        create or replace temp table _stitch_registry as
        select
            customer_id,
            row_number() over (order by min(valid_from), customer_id) - 1 as code
        from {history_table}
        where valid_from < $as_of {"" if every_id else matter}
        group by customer_id
        """,
        {"as_of": as_of},
    )
    try:
        registry = session.sql(
            "select customer_id from _stitch_registry order by code"
        ).to_arrow_table()
        held = session.sql(
            """
            select h.node, r.code
            from _stitch_held as h
            inner join _stitch_registry as r on h.customer_id = r.customer_id
            """
        ).to_arrow_table()
    finally:
        session.execute("drop table if exists _stitch_held")
        session.execute("drop table if exists _stitch_registry")
    return held, registry
