"""The connected components of the identity graph (rules §1: however long the chain).

A Python step inside the dbt build: the node numbers and kept edges come from DuckDB as
NumPy arrays and `cdp.identity.components` labels them with SciPy's sparse-graph search.
"""

from cdp.identity.components import label_components


def model(dbt, session):
    dbt.config(materialized="table")
    nodes = dbt.ref("int_identity__nodes")
    edges = dbt.ref("int_identity__kept_edges")
    return label_components(nodes, edges)
