"""Where sqlglot's translation of the gate's DuckDB SQL into Spark's would compute something
else or fail, corrected in one place: `corrected` rewrites the parsed query (DuckDB's
dialect) before expectations/spark_queries.py writes it as Spark's SQL.

- `timezone(zone, instant)` (DuckDB: the wall-clock time of an instant in a zone) is Spark's
  `from_utc_timestamp(instant, zone)`, which sqlglot leaves as an unknown `timezone(…)`;
- `to_timestamp(epoch seconds)` is Spark's `timestamp_seconds(…)`: sqlglot's
  `cast(from_unixtime(…) as timestamp)` goes through text in the session's time zone;
- `cast('0x' || hex as bigint)` (DuckDB reads hexadecimal text) is Spark's
  `cast(conv(hex, 16, 10) as bigint)`: Spark's cast refuses `0x…`;
- a list's length, `array_length(list)`, is Spark's `array_size(…)` (null for a null list;
  sqlglot's `size(…)` gives -1 there under Spark's legacy setting).

Day differences are written `date_diff('day', a, b)` in the gate's SQL, not `b - a`, which is
a number of days in DuckDB and an interval in Spark (telling dates apart would need the
columns' types).
"""

from __future__ import annotations

from sqlglot import exp


def corrected(tree: exp.Expression) -> exp.Expression:
    """A copy of the query with every correction applied, inner expressions first (a
    correction's arguments are corrected already)."""
    tree = tree.copy()
    for node in reversed(list(tree.walk(bfs=False))):
        replacement = _correct(node)
        if replacement is node:
            continue
        if node is tree:
            tree = replacement
        else:
            node.replace(replacement)
    return tree


def _correct(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Anonymous) and node.name.lower() == "timezone":
        zone, instant = node.expressions
        return _spark_function("from_utc_timestamp", instant, zone)
    if isinstance(node, exp.UnixToTime) and not node.args.get("scale"):
        return _spark_function("timestamp_seconds", node.this)
    if isinstance(node, exp.Cast) and node.to.is_type(*exp.DataType.INTEGER_TYPES):
        hex_text = _after_hex_prefix(node.this)
        if hex_text is not None:
            return exp.cast(
                exp.func("conv", hex_text, exp.Literal.number(16), exp.Literal.number(10)),
                node.to,
            )
    if isinstance(node, exp.ArraySize):
        return _spark_function("array_size", node.this)
    return node


def _spark_function(name: str, *args: exp.Expression) -> exp.Expression:
    """A call of Spark's function `name`, written as it is (sqlglot's own node for some of
    these names would be written as another function)."""
    return exp.Anonymous(this=name, expressions=list(args))


def _after_hex_prefix(text: exp.Expression) -> exp.Expression | None:
    """`x` of `'0x' || x` (parentheses aside), else None."""
    while isinstance(text, exp.Paren):
        text = text.this
    if isinstance(text, exp.DPipe) and text.this == exp.Literal.string("0x"):
        return text.expression
    return None
