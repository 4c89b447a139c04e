"""Identity stitching end to end: small extracts, the real `cdp run` path (Dagster, dbt, DuckDB).

Each case has its own small fixture (its own identifiers) written into one landing zone of
three extract dates (tests/three_days.py); nightly runs as of each date, then as of the last
date again, then the stitching rebuilt from nothing as of the last date (its dbt models in a
new warehouse), and the tests read what the runs left in the build database.
"""

from __future__ import annotations

import pytest

from three_days import CHAIN, DAYS, KEPT_BY_A_RERUN, Runs, Warehouse


@pytest.fixture(scope="module")
def nightly(three_days: Runs) -> Warehouse:
    return three_days.nightly


def test_three_mobile_formats_are_one_customer(nightly: Warehouse):
    ids = nightly.customers()
    assert ids["member_id:M-FMT"] == ids["openid:o-fmt"] == ids["external_userid:wm-fmt"]
    assert ids["mobile:13800138101"] == ids["member_id:M-FMT"]
    profile = nightly.query(
        "select mobile_masked, sources from marts.customer_profile where customer_id = ?",
        [ids["member_id:M-FMT"]],
    )
    assert profile == [("138****8101", ["member", "miniprogram", "wecom"])]


def test_the_golden_record_prefers_the_member_system_and_never_a_blank(nightly: Warehouse):
    ids = nightly.customers()
    names = dict(nightly.query(
        "select customer_id, name from marts.customer_contacts where customer_id in (?, ?)",
        [ids["member_id:M-MRG"], ids["member_id:M-FMT"]],
    ))
    assert names[ids["member_id:M-MRG"]] == "先来的"  # the member's name over the nickname
    assert names[ids["member_id:M-FMT"]] == "客户"  # no member name: WeCom's, not a blank
    masked = dict(nightly.query(
        "select customer_id, name_masked from marts.customer_profile where customer_id in (?, ?)",
        [ids["member_id:M-MRG"], ids["member_id:M-FMT"]],
    ))
    assert masked == {ids["member_id:M-MRG"]: "先**", ids["member_id:M-FMT"]: "客*"}


def test_blocklisted_values_join_nobody(nightly: Warehouse):
    ids = nightly.customers()
    assert len({ids["member_id:M-BLK1"], ids["member_id:M-BLK2"]}) == 2
    assert ids["member_id:M-BLK3"] != ids["openid:o-blk"]
    assert not [k for k in ids if k in ("mobile:13800138000", "unionid:null", "unionid:NULL")]
    stats = nightly.query(
        "select blocklisted_values, invalid_mobiles from marts.identity_graph_stats "
        "where as_of_date = ?", [DAYS[-1]]
    )
    assert stats == [(4, 1)]  # 13800138000, +86 138 0013 8000, NULL, null; 12345678901


def test_an_invalid_mobile_is_no_identifier(nightly: Warehouse):
    ids = nightly.customers()
    assert ids["member_id:M-INV1"] != ids["member_id:M-INV2"]
    assert "mobile:12345678901" not in ids


def test_a_shared_store_phone_is_dropped_and_audited(nightly: Warehouse):
    ids = nightly.customers()
    members = [ids[f"member_id:M-SHR{i}"] for i in range(1, 6)]
    assert len(set(members)) == 5
    assert ids["openid:o-shr"] == ids["unionid:u-shr"] == members[0]
    assert "mobile:13900139000" not in ids
    dropped = nightly.query(
        "select from_key, reason from marts.identity_dropped_edges where shared_key = 'mobile:13900139000'"
    )
    assert sorted(k for k, _ in dropped) == [f"member_id:M-SHR{i}" for i in range(1, 6)]
    assert {r for _, r in dropped} == {"shared mobile: linked to 5 distinct member_id values (more than 3)"}
    order = nightly.query("select customer_id from intermediate.int_customers__orders where order_id = 'MO-SHR'")
    assert order == [(members[0],)]


def test_a_long_chain_is_one_customer(nightly: Warehouse):
    ids = nightly.customers()
    chain = [k for k in ids if "-ch" in k.lower() or k.startswith("mobile:1370000")]
    assert len(chain) == 4 * CHAIN + 1
    assert len({ids[k] for k in chain}) == 1


def test_a_lone_openid_on_orders_only_is_a_customer(nightly: Warehouse):
    customer = nightly.customer_of("openid:o-lone")
    assert customer is not None
    assert [k for k, c in nightly.customers().items() if c == customer] == ["openid:o-lone"]
    profile = nightly.query(
        "select openids, sources, order_count, total_spend from marts.customer_profile "
        "where customer_id = ?", [customer]
    )
    assert profile == [(["o-lone"], ["miniprogram"], 1, 10)]


def test_a_phone_added_later_merges_two_customers(three_days: Runs):
    before, after = three_days.customers[DAYS[1]], three_days.customers[DAYS[2]]
    first, second = before["member_id:M-MRG"], before["openid:o-mrg"]
    assert first != second
    assert after["openid:o-mrg"] == after["member_id:M-MRG"] == first  # assigned a day earlier
    assert {k: v for k, v in after.items() if k in before and k != "openid:o-mrg"} == {
        k: v for k, v in before.items() if k != "openid:o-mrg"
    }
    merges = three_days.nightly.query("select merged_customer_id, customer_id, merged_on from marts.customer_merges")
    assert [(m, c, str(d)) for m, c, d in merges] == [(second, first, DAYS[2])]
    stats = three_days.nightly.query(
        "select as_of_date::varchar, merged_customers from marts.identity_graph_stats order by 1"
    )
    assert stats == [(DAYS[0], 0), (DAYS[1], 0), (DAYS[2], 1)]


def test_a_second_run_for_the_same_date_changes_nothing(three_days: Runs):
    assert three_days.nightly.customers() == three_days.customers[DAYS[-1]]
    assert three_days.nightly.tables(KEPT_BY_A_RERUN) == three_days.before_rerun
    assert len(three_days.nightly.query("select * from marts.customer_merges")) == 1
    assert len(three_days.nightly.query("select * from marts.identity_graph_stats")) == len(DAYS)


def test_a_rebuild_equals_the_nightly_result(three_days: Runs):
    assert three_days.rebuild.customers() == three_days.customers[DAYS[-1]]
