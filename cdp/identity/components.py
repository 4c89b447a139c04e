"""Connected components of the identity graph, with SciPy's sparse-graph search.

The graph arrives as DuckDB relations (`node_id` numbered 0..n-1; edges as pairs of node
ids) and leaves as an Arrow table `node_id, component_id`. Component labels are arbitrary
integers; the customer ids are assigned from them in SQL.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def components_of(n_nodes: int, from_node: np.ndarray, to_node: np.ndarray) -> np.ndarray:
    """The component label of every node 0..n_nodes-1 of an undirected edge list."""
    graph = coo_matrix(
        (np.ones(len(from_node), dtype=np.int8), (from_node, to_node)),
        shape=(n_nodes, n_nodes),
    ).tocsr()
    _, labels = connected_components(graph, directed=True, connection="weak")
    return labels


def label_components(
    nodes: duckdb.DuckDBPyRelation, edges: duckdb.DuckDBPyRelation
) -> pa.Table:
    """`node_id, component_id` for every node of the relations."""
    n_nodes = nodes.count("node_id").fetchall()[0][0]
    pairs = edges.select("from_node_id, to_node_id").fetchnumpy()
    labels = components_of(
        n_nodes,
        np.asarray(pairs["from_node_id"], dtype=np.int64),
        np.asarray(pairs["to_node_id"], dtype=np.int64),
    )
    return pa.table(
        {
            "node_id": pa.array(np.arange(n_nodes, dtype=np.int64)),
            "component_id": pa.array(labels.astype(np.int64)),
        }
    )
