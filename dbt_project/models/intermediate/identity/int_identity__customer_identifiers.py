"""Every identifier of the graph as of D with its customer (rules §1), the stitching step.

The components of the kept edges and the stable ids are computed in one pass by
`cdp.identity.stitch.assign` (SciPy's sparse-graph search, then NumPy/Arrow): see its
docstring and docs/rules.md. The ids identifiers held before D are read from the id history
that `int_identity__customer_id_history` keeps (the state as it was after the last run
before D, whatever ran since), so the history is not a dbt parent of this model. D is the
var `as_of` (the config below), else the environment variable CDP_AS_OF, as for the SQL
models (macros/run/as_of.sql).

On Spark (cdp/spark/dbt.py runs it in dbt-spark's session) the same customers and ids come
from `cdp.identity.stitch_spark.stitch`, label propagation in Spark SQL, and the table is
rebuilt in full (its materialization: the YAML).

Incremental on DuckDB (docs/incremental.md): a night stitches again only the customers its new
occurrences touch (`cdp.identity.night`) and replaces their rows; the post-hook drops the
identifiers that became shared. The pre-hook empties the table when the chain must be built
in full (`reset_increment` with `identity_graph_settings`, as the SQL models of the chain).
"""

from cdp.identity import night
from cdp.identity.stitch import stitch
from cdp.settings import dbt_as_of
from cdp.spark import is_spark


def model(dbt, session):
    if is_spark(session):
        from cdp.identity import stitch_spark

        return stitch_spark.stitch(
            session,
            identifiers=dbt.ref("int_identity__identifiers"),
            kept_edges=dbt.ref("int_identity__kept_edges"),
            history_table=f"{dbt.this.schema}.int_identity__customer_id_history",
            as_of=dbt_as_of(dbt.config.get("as_of")),
            scratch=f"{dbt.this.schema}.{dbt.this.identifier}__labels",
        )
    # A statement dbt ran on this connection before the model (the pre-hook's) leaves its
    # result pending, and DuckDB refuses other work on it until that result is run to its end.
    session.complete()
    this = f"{dbt.this.database}.{dbt.this.schema}.{dbt.this.identifier}"
    log = f"{dbt.this.database}.{dbt.config.get('increment_log')}"
    since = night.built_as_of(session, this, log) if dbt.is_incremental else None
    shared = dbt.ref("int_identity__shared_identifiers")
    redo = None
    if since:
        redo = night.redo(
            session,
            occurrences=dbt.ref("int_identity__identifier_occurrences"),
            shared=shared,
            previous_table=this,
            since=since,
        )
    return stitch(
        session,
        identifiers=dbt.ref("int_identity__identifiers"),
        kept_edges=dbt.ref("int_identity__kept_edges"),
        history_table=f"{dbt.this.database}.{dbt.this.schema}.int_identity__customer_id_history",
        as_of=dbt_as_of(dbt.config.get("as_of")),
        redo=redo,
    )
