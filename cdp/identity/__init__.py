"""Identity stitching (rules §1): which identifiers are one customer, under a stable id.

Where each part of it lives:

- the SQL half, identifiers, edges, shared values, the kept edges and the id history:
  dbt_project/models/intermediate/identity/int_identity__*.sql;
- the Python step, components and stable ids: `stitch.py` here, called by the dbt Python
  model int_identity__customer_identifiers.py; what a night redoes (incremental): `night.py`;
- the marts: dbt_project/models/marts/identity (customer_merges, identity_graph_stats,
  identity_dropped_edges);
- the quality gate's identity suite: expectations/identity.py;
- the rules in words: docs/rules.md §1; the incremental build: docs/incremental.md.
"""
