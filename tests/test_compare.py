"""`cdp compare` (cdp/compare.py): two warehouses' publishes, one with its database and one of
Parquet files alone (as DuckDB's and Spark's publish by default), table by table and row for
row; a difference names the table, the column and a row. tests/test_spark.py compares the
engines' whole nights with the same functions."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb

from cdp import publish
from cdp.compare import difference, normalised
from orchestration.cli.main import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, main

AS_OF = date(2026, 10, 31)


def publish_tables(warehouse: Path, *, spend: float, database: bool, extra: bool = False) -> None:
    """A publish of two tables (one with an instant, a decimal and a list) and maybe a third."""
    with duckdb.connect() as conn:
        conn.execute("set TimeZone = 'UTC'")
        conn.execute(
            "create table customers as select * from (values "
            f"('c1', {spend}::double, 12.50::decimal(10, 2), timestamptz '2026-01-01 02:00:00+00', ['a', 'b']), "
            "('c2', 1 / 3, null, null, [])) t(customer_id, spend, points, joined_at, tags)"
        )
        conn.execute("create table orders as select range as order_id from range(5)")
        tables = [publish.TableSource("customers", "customers"), publish.TableSource("orders", "orders")]
        if extra:
            tables.append(publish.TableSource("coupons", "orders"))
        publish.publish(
            conn, warehouse, tables, run_id=f"run-{warehouse.name}", as_of=AS_OF,
            gate={"verdict": "passed"}, database=database, say=lambda line: None,
        )


def test_the_same_rows_exit_0_and_a_different_value_exits_1_naming_it(tmp_path, capsys):
    duck, spark, other = tmp_path / "duck", tmp_path / "spark", tmp_path / "other"
    publish_tables(duck, spend=10.0, database=True)
    publish_tables(spark, spend=10.0 + 1e-12, database=False)  # a last-digit difference
    publish_tables(other, spend=10.5, database=False, extra=True)

    assert main(["compare", str(duck), str(spark)]) == EXIT_OK
    out = capsys.readouterr().out
    assert f"A: {duck} (published as of 2026-10-31)" in out
    assert "  customers                             2 rows, the same in both" in out
    assert "2 of 2 published tables hold the same rows in A and B" in out

    assert main(["compare", str(duck), str(other)]) == EXIT_FAILED
    out = capsys.readouterr().out
    assert "  coupons                      DIFFERS: coupons: published in B only" in out
    assert "  customers                    DIFFERS: customers.spend: A 10.0, B 10.5 in the row " in out
    assert "  orders                                5 rows, the same in both" in out
    assert "1 of 3 published tables hold the same rows in A and B" in out


def test_a_warehouse_without_a_publish_exits_2(tmp_path, capsys):
    publish_tables(tmp_path / "duck", spend=1.0, database=True)
    assert main(["compare", str(tmp_path / "duck"), str(tmp_path / "empty")]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.strip() == (
        f"cdp compare: nothing published in {tmp_path / 'empty'}: run `cdp run` there first"
    )


def test_a_difference_names_the_table_the_column_and_a_row():
    columns = ["customer_id", "spend", "joined_at"]
    engines = ("DuckDB", "Spark")
    duck = [("c1", 10.0, datetime(2026, 1, 1, 2)), ("c2", 1 / 3, None)]
    close = [("c1", 10.0 + 1e-12, datetime(2026, 1, 1, 2)), ("c2", 1 / 3, None)]
    assert difference("t", columns, duck, close, engines) is None
    found = difference("t", columns, duck, [("c1", 10.5, datetime(2026, 1, 1, 2)), ("c2", 1 / 3, None)], engines)
    assert found == (
        "t.spend: DuckDB 10.0, Spark 10.5 in the row "
        "{'customer_id': 'c1', 'spend': 10.0, 'joined_at': datetime.datetime(2026, 1, 1, 2, 0)}"
    )
    assert difference("t", columns, duck, duck[:1], engines).startswith(
        "t: 2 rows in DuckDB, 1 in Spark; e.g. "
    )
    assert normalised(datetime(2026, 1, 1, 10, tzinfo=timezone.utc)) == datetime(2026, 1, 1, 10)
    assert normalised([{"a": Decimal("1.50")}]) == [{"a": 1.5}]
