"""Identity stitching on Spark: the customers and stable ids of `cdp.identity.stitch`
(rules §1, docs/rules.md), computed by Spark without collecting the graph to one machine.

The Python model `int_identity__customer_identifiers` calls `stitch` when dbt runs it on a
Spark session (cdp/spark/dbt.py). Spark rebuilds the table in full every run
(macros/engine/increments.sql).

1. Every identifier is a node named by its founder order: its first-seen date, its candidate
   id, its key, as one string (the date as `yyyy-MM-dd` and the candidate ids' fixed width
   make text order that order), so the smallest node of a component is its founder.
2. Components by label propagation with pointer jumping: every node of an edge starts with
   its own name as label; each round a node takes the smallest label among its own and its
   neighbours', then the label of that label. Labels only decrease and stay inside the
   component; when a round changes none, every component is labelled with its smallest node.
   Each round's labels are written as a Parquet table, which the next round reads (no lineage
   growing with the rounds); a chain of n nodes takes about log2(n) rounds.
3. The ids, as in `cdp.identity.stitch.assign`, in Spark SQL: an id held before D (the
   history's rows valid at D) has its home in the component of its smallest holder; a
   component keeps the id first assigned among those homed there (ties: the smallest id);
   one without founds its founder's candidate id, or the id of (founder, D) when that id was
   used before D.
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame, SparkSession

from cdp.identity.stitch import ID_PREFIX, OUTPUT_COLUMNS

ROUNDS_LIMIT = 64
"""Pointer jumping halves a chain's longest path each round: 64 rounds is beyond any graph."""


def stitch(
    spark: SparkSession,
    *,
    identifiers: DataFrame,
    kept_edges: DataFrame,
    history_table: str,
    as_of: date,
    scratch: str,
) -> DataFrame:
    """The identifiers with their `customer_id` (the dbt model's result). `scratch` is a
    `schema.prefix` for the rounds' tables, dropped before this returns."""
    identifiers.createOrReplaceTempView("_stitch_identifiers")
    kept_edges.createOrReplaceTempView("_stitch_kept_edges")
    spark.sql(
        """
        select
            *,
            concat(cast(first_seen_date as string), candidate_customer_id, identifier_key)
                as node
        from _stitch_identifiers
        """
    ).createOrReplaceTempView("_stitch_nodes")
    spark.sql(
        """
        with ends as (
            select f.node as a, t.node as b
            from _stitch_kept_edges as e
            inner join _stitch_nodes as f on e.from_key = f.identifier_key
            inner join _stitch_nodes as t on e.to_key = t.identifier_key
        )
        select a as node, b as neighbour from ends
        union
        select b as node, a as neighbour from ends
        """
    ).createOrReplaceTempView("_stitch_edges")
    labels = _components(spark, scratch)
    labels.createOrReplaceTempView("_stitch_labels")
    previous = spark.catalog.tableExists(history_table)
    day = f"date '{as_of.isoformat()}'"
    return spark.sql(_ASSIGN_SQL.format(
        held=_HELD_SQL.format(history=history_table, as_of=day) if previous else _NONE_HELD,
        registry=_REGISTRY_SQL.format(history=history_table, as_of=day) if previous else _NO_REGISTRY,
        as_of=day,
        prefix=ID_PREFIX,
        columns=", ".join(f"n.{name}" for name in OUTPUT_COLUMNS),
    ))


def _components(spark: SparkSession, scratch: str) -> DataFrame:
    """Per node of an edge, the smallest node of its component (`node`, `label`)."""
    current = f"{scratch}_0"
    spark.sql(f"drop table if exists {current}")
    spark.sql(
        "select distinct node, node as label from _stitch_edges"
    ).write.format("parquet").saveAsTable(current)
    for round_number in range(1, ROUNDS_LIMIT + 1):
        following = f"{scratch}_{round_number}"
        spark.sql(f"drop table if exists {following}")
        spark.sql(_ROUND_SQL.format(labels=current)).write.format("parquet").saveAsTable(
            following
        )
        spark.sql(f"drop table {current}")
        current = following
        changed = spark.sql(f"select count(*) from {current} where label <> previous").first()[0]
        if changed == 0:
            break
    else:
        raise RuntimeError(f"identity stitching: labels still changing after {ROUNDS_LIMIT} rounds")
    labels = spark.sql(f"select node, label from {current}").localCheckpoint()
    spark.sql(f"drop table {current}")
    return labels


_ROUND_SQL = """
with smallest_neighbour as (
    select e.node, min(l.label) as label
    from _stitch_edges as e
    inner join {labels} as l on e.neighbour = l.node
    group by e.node
),

hooked as (
    select l.node, l.label as previous, least(l.label, n.label) as label
    from {labels} as l
    inner join smallest_neighbour as n on l.node = n.node
)

select h.node, h.previous, least(h.label, j.label) as label
from hooked as h
inner join hooked as j on h.label = j.node
"""
"""One round: the smallest label among a node's own and its neighbours', then that label's
label (the jump); `previous` is the node's label before the round."""

_HELD_SQL = """
    select h.identifier_key, h.customer_id
    from {history} as h
    where h.valid_from < {as_of} and (h.valid_to is null or h.valid_to >= {as_of})
"""
_NONE_HELD = "select cast(null as string) as identifier_key, cast(null as string) as customer_id where false"
_REGISTRY_SQL = """
    select customer_id, min(valid_from) as first_assigned
    from {history}
    where valid_from < {as_of}
    group by customer_id
"""
_NO_REGISTRY = "select cast(null as string) as customer_id, cast(null as date) as first_assigned where false"

_ASSIGN_SQL = """
with held as ({held}),

registry as ({registry}),

components as (
    select n.node, coalesce(l.label, n.node) as component
    from _stitch_nodes as n
    left join _stitch_labels as l on n.node = l.node
),

homes as (
    select h.customer_id, min(n.node) as home
    from held as h
    inner join _stitch_nodes as n on h.identifier_key = n.identifier_key
    group by h.customer_id
),

survivors as (
    select
        c.component,
        min(named_struct('first_assigned', r.first_assigned, 'customer_id', r.customer_id))
            .customer_id as customer_id
    from homes as h
    inner join components as c on h.home = c.node
    inner join registry as r on h.customer_id = r.customer_id
    group by c.component
),

founded as (
    select
        c.component,
        case
            when r.customer_id is null then f.candidate_customer_id
            else concat(
                '{prefix}',
                substr(sha2(concat(f.identifier_key, '@', cast({as_of} as string)), 256), 1, 16)
            )
        end as customer_id
    from (select distinct component from components) as c
    inner join _stitch_nodes as f on c.component = f.node
    left join registry as r on f.candidate_customer_id = r.customer_id
)

select coalesce(s.customer_id, f.customer_id) as customer_id, {columns}
from _stitch_nodes as n
inner join components as c on n.node = c.node
left join survivors as s on c.component = s.component
inner join founded as f on c.component = f.component
"""
