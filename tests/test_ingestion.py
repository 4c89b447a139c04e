"""Every reader on good and bad files, quarantine, idempotent loads and deliberate reloads."""

from __future__ import annotations

import codecs
from datetime import date, datetime

import pytest

from ingestion.contracts import ENTITIES, entity
from ingestion.errors import UnreadableExtract
from ingestion.loader import ingest

MEMBERS_HEADER = (
    "member_id,mobile,unionid,name,gender,birthday,registered_at,register_store_id,"
    "tier_code,points_balance,status\n"
)
MEMBER_ROW = "M0001,138 0013 8001,,张三,M,1990-01-02,2025-01-01 10:00:00,S001,GOLD,100,active\n"
ORDERS_HEADER = (
    "order_id,openid,order_status,total_amount,discount_amount,paid_amount,coupon_id,"
    "created_at,paid_at,updated_at\n"
)
COUPON_GRANTS_HEADER = (
    "grant_id,openid,coupon_id,coupon_name,face_value,min_spend,granted_at,expires_at,status,"
    "used_order_id,updated_at\n"
)
EVENT = (
    '{"event_id":"e%d","openid":"o1","event_name":"share","event_at":"2026-01-01 10:00:00",'
    '"properties":{"share_to":"friend"}}\n'
)


def rows(conn, sql):
    return conn.execute(sql).fetchall()


def quarantine(conn):
    return rows(conn, "select file, line, reason from raw._quarantine order by file, line")


def test_contract_lists_the_eleven_entities():
    assert sorted(e.label for e in ENTITIES) == [
        "member/members",
        "member/offline_orders",
        "member/points_ledger",
        "miniprogram/coupon_grants",
        "miniprogram/events",
        "miniprogram/order_items",
        "miniprogram/orders",
        "miniprogram/users",
        "wecom/contact_events",
        "wecom/external_contacts",
        "wecom/interactions",
    ]


def test_gb18030_members_load_with_their_encoding_recorded(conn, landing):
    landing.write("member", "2026-01-01", "members.csv", MEMBERS_HEADER + MEMBER_ROW, "gb18030")
    report = ingest(conn, landing.root)
    assert report.rows == 1 and not report.errors
    assert rows(conn, "select name, _encoding, _line, _extract_date from raw.member__members") == [
        ("张三", "gb18030", 2, date(2026, 1, 1))
    ]
    assert rows(conn, "select encoding, rows_loaded from raw._loads") == [("gb18030", 1)]


def test_utf8_with_bom_keeps_the_first_column(conn, landing):
    content = codecs.BOM_UTF8 + (MEMBERS_HEADER + MEMBER_ROW).encode()
    landing.write("member", "2026-01-01", "members.csv", content)
    ingest(conn, landing.root)
    assert rows(conn, "select member_id, _encoding from raw.member__members") == [
        ("M0001", "utf-8-bom")
    ]


def test_missing_required_column_stops_that_file_only(conn, landing):
    broken = MEMBERS_HEADER.replace(",status", "") + MEMBER_ROW.replace(",active", "")
    path = landing.write("member", "2026-01-01", "members.csv", broken)
    landing.write("member", "2026-01-02", "members.csv", MEMBERS_HEADER + MEMBER_ROW)
    report = ingest(conn, landing.root)
    assert [str(e) for e in report.errors] == [
        f"{path}, line 1: missing required column(s): status"
    ]
    assert rows(conn, "select _file from raw.member__members") == [
        ("member/2026-01-02/members.csv",)
    ]
    assert rows(conn, "select file from raw._loads") == [("member/2026-01-02/members.csv",)]
    assert quarantine(conn) == []


def test_unknown_encoding_names_the_line(conn, landing):
    latin1 = (MEMBERS_HEADER + MEMBER_ROW.replace("张三", "Zoé Müller")).encode("latin-1")
    path = landing.write("member", "2026-01-01", "members.csv", latin1)
    report = ingest(conn, landing.root)
    assert [str(e) for e in report.errors] == [
        f"{path}, line 2: unknown encoding (neither UTF-8 nor GB18030)"
    ]
    assert rows(conn, "select count(*) from raw.member__members") == [(0,)]


def test_truncated_json_line_is_quarantined_and_the_rest_loads(conn, landing):
    content = EVENT % 1 + (EVENT % 2)[:40] + "\n" + EVENT % 3
    landing.write("miniprogram", "2026-01-01", "events.jsonl", content)
    report = ingest(conn, landing.root)
    assert not report.errors
    assert rows(conn, "select event_id, _line from raw.miniprogram__events order by 2") == [
        ("e1", 1),
        ("e3", 3),
    ]
    assert quarantine(conn) == [("miniprogram/2026-01-01/events.jsonl", 2, "invalid JSON")]
    assert rows(conn, "select properties->>'share_to' from raw.miniprogram__events limit 1") == [
        ("friend",)
    ]


def test_a_file_that_is_not_json_at_all_is_unreadable(conn, landing):
    path = landing.write("wecom", "2026-01-01", "contact_events.jsonl", "a,b\n1,2\n")
    report = ingest(conn, landing.root)
    assert [str(e) for e in report.errors] == [
        f"{path}, line 1: not JSON Lines: no line holds a JSON object"
    ]
    assert rows(conn, "select count(*) from raw._loads") == [(0,)]
    assert quarantine(conn) == []


def test_header_only_file_loads_nothing_and_counts_as_loaded(conn, landing):
    landing.write("miniprogram", "2026-01-01", "orders.csv", ORDERS_HEADER)
    report = ingest(conn, landing.root)
    assert (report.files, report.rows, report.errors) == (1, 0, [])
    assert rows(conn, "select rows_loaded, rows_quarantined from raw._loads") == [(0, 0)]


def test_empty_csv_file_has_no_header(conn, landing):
    path = landing.write("miniprogram", "2026-01-01", "orders.csv", "")
    report = ingest(conn, landing.root)
    assert [str(e) for e in report.errors] == [f"{path}, line 1: no header row"]


def test_bad_rows_go_to_quarantine_with_line_and_reason(conn, landing):
    good = "A1,o1,paid,100.00,0.00,100.00,,2026-01-01 10:00:00,2026-01-01 10:01:00,2026-01-01 10:01:00\n"
    content = (
        ORDERS_HEADER
        + good
        + "A2,o1,paid,100.00,0.00,-35.00,,2026-01-01 10:00:00,,2026-01-01 10:00:00\n"
        + ",o1,paid,1.00,0.00,1.00,,2026-01-01 10:00:00,,2026-01-01 10:00:00\n"
        + "A4,o1,paied,1.00,0.00,1.00,,2026-02-30 10:00:00,,2026-01-01 10:00:00\n"
        + "A5,o1,paid,1.00\n"
        + good.replace("A1", "A6")
    )
    landing.write("miniprogram", "2026-01-01", "orders.csv", content)
    report = ingest(conn, landing.root)
    assert (report.rows, report.quarantined) == (2, 4)
    assert rows(conn, "select order_id, _line from raw.miniprogram__orders order by 2") == [
        ("A1", 2),
        ("A6", 7),
    ]
    file = "miniprogram/2026-01-01/orders.csv"
    assert quarantine(conn) == [
        (file, 3, "negative paid_amount: -35.00"),
        (file, 4, "missing key order_id"),
        (file, 5, "unknown order_status: paied; unparseable created_at: 2026-02-30 10:00:00"),
        (file, 6, "expected 10 fields, found 4"),
    ]
    assert rows(conn, "select paid_amount, paid_at from raw.miniprogram__orders limit 1") == [
        (100, datetime(2026, 1, 1, 10, 1))
    ]


def test_coupon_grants_quarantine_a_bad_status_and_a_negative_face_value(conn, landing):
    content = (
        COUPON_GRANTS_HEADER
        + "G1,o1,CP202601F010,满69减10,10.00,69.00,2026-01-01 10:00:00,2026-01-15 10:00:00,"
        "used,MO2026010100000001,2026-01-03 12:00:00\n"
        + "G2,o1,CP202601F010,满69减10,10.00,69.00,2026-01-01 10:00:00,2026-01-15 10:00:00,"
        "claimed,,2026-01-01 10:00:00\n"
        + "G3,o2,CP202601F005,5元无门槛券,-5.00,,2026-01-01 11:00:00,2026-01-08 11:00:00,"
        "unused,,2026-01-01 11:00:00\n"
    )
    landing.write("miniprogram", "2026-01-03", "coupon_grants.csv", content)
    report = ingest(conn, landing.root)
    assert (report.rows, report.quarantined) == (1, 2)
    assert rows(
        conn,
        "select grant_id, status, face_value, min_spend, expires_at, used_order_id, _line "
        "from raw.miniprogram__coupon_grants",
    ) == [("G1", "used", 10, 69, datetime(2026, 1, 15, 10), "MO2026010100000001", 2)]
    file = "miniprogram/2026-01-03/coupon_grants.csv"
    assert quarantine(conn) == [
        (file, 3, "unknown status: claimed"),
        (file, 4, "negative face_value: -5.00"),
    ]


def test_line_numbers_survive_blank_lines_and_quoted_values(conn, landing):
    """A quoted line break is no value of this contract: tests/test_bad_inputs.py."""
    content = (
        "interaction_id,external_userid,userid,channel,direction,occurred_at\n"
        'i1,wm1,zhang,private_chat,inbound,2026-01-01 09:00:00\n'
        "\n"
        'i2,"wm,2",zhang,group_chat,outbound,"2026-01-01 09:00:00"\n'
        "i3,wm3,zhang,fax,inbound,2026-01-01 09:00:00\n"
    )
    landing.write("wecom", "2026-01-01", "interactions.csv", content)
    ingest(conn, landing.root)
    assert rows(conn, "select interaction_id, external_userid, _line from raw.wecom__interactions order by 3") == [
        ("i1", "wm1", 2),
        ("i2", "wm,2", 4),
    ]
    assert quarantine(conn) == [("wecom/2026-01-01/interactions.csv", 5, "unknown channel: fax")]


def test_timestamps_with_an_offset_become_shanghai_wall_clock(conn, landing):
    content = (
        "entry_id,member_id,points_delta,reason,occurred_at,expires_at\n"
        "p1,M1,10,purchase,2026-01-01T02:00:00Z,\n"
        "p2,M1,-5,redeem,2026-01-01 10:00:00+08:00,2027-01-01 00:00:00\n"
    )
    landing.write("member", "2026-01-01", "points_ledger.csv", content)
    ingest(conn, landing.root)
    assert rows(conn, "select entry_id, occurred_at, expires_at from raw.member__points_ledger order by 1") == [
        ("p1", datetime(2026, 1, 1, 10), None),
        ("p2", datetime(2026, 1, 1, 10), datetime(2027, 1, 1)),
    ]


def test_wecom_contacts_are_kept_whole_as_json(conn, landing):
    contact = (
        '{"external_contact":{"external_userid":"wm1","name":"李四","type":1,"gender":2,'
        '"unionid":"oU1"},"follow_user":[{"userid":"zhangsan","remark_mobiles":["13800001111"],'
        '"createtime":1718000000,"tags":[{"group_name":"宝宝月龄","tag_name":"0-6月"}]}]}\n'
    )
    landing.write("wecom", "2026-01-01", "external_contacts.jsonl", contact + '{"follow_user":[]}\n')
    ingest(conn, landing.root)
    assert rows(
        conn,
        "select external_userid, record->'follow_user'->0->>'userid', "
        "record->'follow_user'->0->'tags'->0->>'tag_name' from raw.wecom__external_contacts",
    ) == [("wm1", "zhangsan", "0-6月")]
    assert quarantine(conn) == [
        ("wecom/2026-01-01/external_contacts.jsonl", 2, "missing key external_userid")
    ]


def test_loading_again_adds_nothing(conn, landing):
    landing.write("miniprogram", "2026-01-01", "events.jsonl", EVENT % 1 + "{oops\n")
    first = ingest(conn, landing.root)
    second = ingest(conn, landing.root)
    assert (first.files, second.files, second.already_loaded) == (1, 0, 1)
    assert rows(conn, "select count(*) from raw.miniprogram__events") == [(1,)]
    assert rows(conn, "select count(*) from raw._quarantine") == [(1,)]


def test_reload_replaces_the_rows_of_that_date_only(conn, landing):
    landing.write("miniprogram", "2026-01-01", "events.jsonl", EVENT % 1 + EVENT % 2)
    landing.write("miniprogram", "2026-01-02", "events.jsonl", EVENT % 3)
    ingest(conn, landing.root)
    landing.write("miniprogram", "2026-01-01", "events.jsonl", EVENT % 9)
    report = ingest(conn, landing.root, reload=[date(2026, 1, 1)])
    assert report.files == 1
    assert rows(conn, "select event_id from raw.miniprogram__events order by 1") == [
        ("e3",),
        ("e9",),
    ]
    assert rows(conn, "select count(*) from raw._loads") == [(2,)]


def test_reload_keeps_the_old_rows_when_the_corrected_file_is_unreadable(conn, landing):
    landing.write("member", "2026-01-01", "members.csv", MEMBERS_HEADER + MEMBER_ROW)
    ingest(conn, landing.root)
    landing.write("member", "2026-01-01", "members.csv", "member_id\nM9\n")
    report = ingest(conn, landing.root, reload=[date(2026, 1, 1)])
    assert len(report.errors) == 1
    assert rows(conn, "select member_id from raw.member__members") == [("M0001",)]


def test_reload_of_a_date_without_a_folder_is_refused(conn, landing):
    landing.write("miniprogram", "2026-01-01", "events.jsonl", EVENT % 1)
    with pytest.raises(ValueError, match="no extract folder for 2026-01-09"):
        ingest(conn, landing.root, reload=[date(2026, 1, 9)])


def test_as_of_date_bounds_the_folders_read(conn, landing):
    landing.write("miniprogram", "2026-01-01", "events.jsonl", EVENT % 1)
    landing.write("miniprogram", "2026-01-02", "events.jsonl", EVENT % 2)
    ingest(conn, landing.root, as_of=date(2026, 1, 1))
    assert rows(conn, "select event_id from raw.miniprogram__events") == [("e1",)]


def test_unreadable_extract_message_is_one_line():
    error = UnreadableExtract("a/b.csv", 3, "missing required column(s): x")
    assert str(error) == "a/b.csv, line 3: missing required column(s): x"
    assert entity("member/members").table == "member__members"


@pytest.mark.parametrize("rate", [0.0, 0.01])
def test_generated_extracts_quarantine_exactly_the_broken_rows(conn, tmp_path, rate):
    from tools.generate import generate

    summary = generate(tmp_path / "gen", customers=300, days=8, seed=5, bad_row_rate=rate)
    report = ingest(conn, tmp_path / "gen")
    assert not report.errors and report.files == summary.files
    for label, stats in report.entities.items():
        assert (stats.rows, stats.quarantined) == (
            summary.rows[label] - summary.bad_rows[label],
            summary.bad_rows[label],
        ), label
    assert report.quarantined == (0 if rate == 0 else sum(summary.bad_rows.values()))
    encodings = {r[0] for r in rows(conn, "select distinct encoding from raw._loads")}
    assert encodings == {"utf-8", "utf-8-bom", "gb18030"}


def test_batches_are_written_while_the_next_is_read_and_lose_nothing(conn, landing, monkeypatch):
    monkeypatch.setattr("ingestion.loader.BATCH_ROWS", 2)  # a batch per file
    for day in range(1, 6):
        landing.write("miniprogram", f"2026-01-0{day}", "events.jsonl", EVENT % (2 * day) + EVENT % (2 * day + 1))
    landing.write("wecom", "2026-01-02", "contact_events.jsonl", "a,b\n")
    bad = landing.write("wecom", "2026-01-03", "contact_events.jsonl", "not json\n")
    said: list[str] = []
    report = ingest(conn, landing.root, progress=said.append)
    assert (report.files, report.rows) == (5, 10)
    assert rows(conn, "select event_id, _file, _line from raw.miniprogram__events order by _file, _line") == [
        (f"e{n}", f"miniprogram/2026-01-0{n // 2}/events.jsonl", 1 + n % 2) for n in range(2, 12)
    ]
    assert f"unreadable: {bad}, line 1: not JSON Lines: no line holds a JSON object" in said
    assert len(report.errors) == 2

