"""Bad input a real landing zone meets (issue 27): nothing of it loads silently as if it were
good, and no good row is lost to it. Each test is one kind of damage on a small hand-written
extract; docs/landing-zone.md lists what each kind gets."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from cdp.settings import IngestSettings, Settings
from ingestion.contracts import Column, Entity
from ingestion.errors import UnreadableExtract
from ingestion.loader import ingest
from ingestion.readers import read_csv

USERS_HEADER = "openid,unionid,mobile,nickname,registered_at\n"
ORDERS_HEADER = (
    "order_id,openid,order_status,total_amount,discount_amount,paid_amount,coupon_id,"
    "created_at,paid_at,updated_at\n"
)
ORDER = "{id},o1,paid,{amount},0.00,{amount},,2026-01-01 10:00:00,,2026-01-01 10:00:00\n"
MEMBERS_HEADER = (
    "member_id,mobile,unionid,name,gender,birthday,registered_at,register_store_id,"
    "tier_code,points_balance,status\n"
)
EVENT = (
    '{"event_id":"e%d","openid":"o1","event_name":"share","event_at":"2026-01-01 10:00:00",'
    '"properties":{}}'
)
CONTACT_EVENT = (
    '{"ExternalUserID":"wm%d","UserID":"zhang","ChangeType":"add_external_contact",'
    '"CreateTime":%s,"State":""}\n'
)


def user(openid: str, nickname: str) -> str:
    return f"{openid},,,{nickname},2026-01-01 10:00:00\n"


def rows(conn, sql):
    return conn.execute(sql).fetchall()


def quarantine(conn):
    return rows(conn, "select file, line, reason from raw._quarantine order by file, line")


# 1. A record must not swallow the lines after it.


def test_a_quote_opened_and_closed_lines_later_merges_nothing(conn, landing):
    content = (
        USERS_HEADER
        + user("u1", "Amy")
        + user("u2", '"Bob')  # the quote opens here...
        + user("u3", "Cid")
        + user("u4", "Dan")
        + user("u5", 'Eve"')  # ...and a quote three lines later would close it
        + user("u6", "Fay")
    )
    landing.write("miniprogram", "2026-01-01", "users.csv", content)
    report = ingest(conn, landing.root)
    assert not report.errors
    assert rows(conn, "select openid, nickname, _line from raw.miniprogram__users order by 3") == [
        ("u1", "Amy", 2),
        ("u3", "Cid", 4),
        ("u4", "Dan", 5),
        ("u5", 'Eve"', 6),  # a stray quote inside a value is a character, as on any line
        ("u6", "Fay", 7),
    ]
    assert quarantine(conn) == [
        (
            "miniprogram/2026-01-01/users.csv",
            3,
            "unclosed quote: the record would run from line 3 to line 6",
        )
    ]
    assert rows(conn, "select record from raw._quarantine") == [('u2,,,"Bob,2026-01-01 10:00:00',)]


def test_a_quoted_line_break_in_an_identifier_is_quarantined_and_the_next_lines_load(conn, landing):
    content = (
        "interaction_id,external_userid,userid,channel,direction,occurred_at\n"
        "i1,wm1,zhang,private_chat,inbound,2026-01-01 09:00:00\n"
        "\n"
        'i2,"wm\n2",zhang,group_chat,outbound,2026-01-01 09:00:00\n'
        "i3,wm3,zhang,moments,inbound,2026-01-01 09:00:00\n"
    )
    landing.write("wecom", "2026-01-01", "interactions.csv", content)
    ingest(conn, landing.root)
    assert rows(conn, "select interaction_id, _line from raw.wecom__interactions order by 2") == [
        ("i1", 2),
        ("i3", 6),
    ]
    file = "wecom/2026-01-01/interactions.csv"
    assert quarantine(conn) == [
        (file, 4, "unclosed quote: the record would run from line 4 to line 5"),
        (file, 5, "expected 6 fields, found 5"),
    ]


# 7a. An unclosed quote is reported where it opened.


def test_a_quote_never_closed_is_quarantined_on_its_own_line_and_the_rest_loads(conn, landing):
    content = USERS_HEADER + user("u1", "Amy") + user("u2", '"Bob') + user("u3", "Cid")
    content += user("u4", "Dan")
    landing.write("miniprogram", "2026-01-01", "users.csv", content)
    report = ingest(conn, landing.root)
    assert not report.errors
    assert rows(conn, "select openid from raw.miniprogram__users order by _line") == [
        ("u1",),
        ("u3",),
        ("u4",),
    ]
    assert quarantine(conn) == [
        (
            "miniprogram/2026-01-01/users.csv",
            3,
            "unclosed quote: the record would run from line 3 to the end of the file",
        )
    ]


def test_a_quote_left_open_on_the_last_line_is_quarantined(conn, landing):
    content = USERS_HEADER + user("u1", "Amy") + 'u2,,,Bob,"2026-01-01 10:00:00'  # no final newline
    landing.write("miniprogram", "2026-01-01", "users.csv", content)
    ingest(conn, landing.root)
    assert rows(conn, "select openid from raw.miniprogram__users") == [("u1",)]
    assert quarantine(conn) == [
        (
            "miniprogram/2026-01-01/users.csv",
            3,
            "unclosed quote: the record would run from line 3 to the end of the file",
        )
    ]


NOTES = Entity(
    "crm",
    "notes",
    "csv",
    "increment",
    ("note_id",),
    (Column("note_id", required=True), Column("body", line_breaks=True)),
)
"""An entity whose contract allows line breaks in a value (none of the landing zone's does)."""


def test_where_values_may_hold_line_breaks_an_unclosed_quote_names_the_line_it_opened():
    content = b'note_id,body\nn1,"two\nlines"\nn2,"never closed\nn3,x\nn4,y\n'
    with pytest.raises(UnreadableExtract) as raised:
        read_csv(content, NOTES, "notes.csv")
    assert str(raised.value) == (
        "notes.csv, line 4: unclosed quote: the record from line 4 runs to the end of the file"
    )
    result = read_csv(b'note_id,body\nn1,"two\nlines"\n\nn2,x\n', NOTES, "notes.csv")
    assert result.table.to_pylist() == [
        {"_line": 2, "note_id": "n1", "body": "two\nlines"},
        {"_line": 5, "note_id": "n2", "body": "x"},
    ]


# 7b. One limit on a value's size, whichever parser reads the file.


@pytest.mark.parametrize("elsewhere", ["", "\n"], ids=["alone", "with-a-blank-line"])
def test_a_long_value_loads_whatever_else_is_in_the_file(conn, landing, elsewhere):
    long_name = "x" * 200_000
    content = USERS_HEADER + user("u1", long_name) + elsewhere + user("u2", "Bob")
    landing.write("miniprogram", "2026-01-01", "users.csv", content)
    report = ingest(conn, landing.root)
    assert not report.errors
    assert rows(conn, "select openid, length(nickname) from raw.miniprogram__users order by 1") == [
        ("u1", 200_000),
        ("u2", 3),
    ]


# 7c. A timestamp matches the whole format.


@pytest.mark.parametrize("final_newline", ["\n", ""], ids=["newline", "no-final-newline"])
def test_a_truncated_timestamp_is_unparseable(conn, landing, final_newline):
    content = (
        "entry_id,member_id,points_delta,reason,expires_at,occurred_at\n"
        "p1,M1,10,purchase,,2026-10-31 22:00:00\n"
        "p2,M1,10,purchase,,2026-10-31 23:0" + final_newline  # the export was cut off here
    )
    landing.write("member", "2026-10-31", "points_ledger.csv", content)
    ingest(conn, landing.root)
    assert rows(conn, "select entry_id, occurred_at from raw.member__points_ledger") == [
        ("p1", datetime(2026, 10, 31, 22))
    ]
    assert quarantine(conn) == [
        ("member/2026-10-31/points_ledger.csv", 3, "unparseable occurred_at: 2026-10-31 23:0")
    ]


@pytest.mark.parametrize(
    "value",
    ["2026-10-31", "2026-1-3 1:02:03", "2026-10-31 23:00", "2026-10-31 23:00+08:00"],
)
def test_a_timestamp_needs_date_hours_minutes_and_seconds(conn, landing, value):
    content = (
        "entry_id,member_id,points_delta,reason,occurred_at,expires_at\n"
        f"p1,M1,10,purchase,{value},\n"
        "p2,M1,10,purchase,2026-10-31T23:00:00.5+08:00,2027-10-31 23:00:00\n"
    )
    landing.write("member", "2026-10-31", "points_ledger.csv", content)
    ingest(conn, landing.root)
    assert rows(conn, "select entry_id from raw.member__points_ledger") == [("p2",)]
    assert quarantine(conn) == [
        ("member/2026-10-31/points_ledger.csv", 2, f"unparseable occurred_at: {value}")
    ]


def test_a_date_is_exactly_year_month_day(conn, landing):
    content = (
        MEMBERS_HEADER
        + "M1,,,张三,M,1990-1-2,2025-01-01 10:00:00,S1,GOLD,100,active\n"
        + "M2,,,李四,F,1990-01-02,2025-01-01 10:00:00,S1,GOLD,100,active\n"
    )
    landing.write("member", "2026-01-01", "members.csv", content)
    ingest(conn, landing.root)
    assert rows(conn, "select member_id, birthday from raw.member__members") == [
        ("M2", date(1990, 1, 2))
    ]
    assert quarantine(conn) == [
        ("member/2026-01-01/members.csv", 2, "unparseable birthday: 1990-1-2")
    ]


# 7d. GB18030 only when the bytes read as Chinese text.


def test_one_latin1_byte_does_not_make_an_ascii_file_gb18030(conn, landing):
    content = (MEMBERS_HEADER + "M1,,,Renée,F,,2025-01-01 10:00:00,S1,GOLD,100,active\n").encode(
        "latin-1"
    )
    path = landing.write("member", "2026-01-01", "members.csv", content)
    report = ingest(conn, landing.root)
    assert [str(e) for e in report.errors] == [
        f"{path}, line 2: unknown encoding (neither UTF-8 nor GB18030)"
    ]
    assert rows(conn, "select count(*) from raw.member__members") == [(0,)]


def test_gb18030_with_names_outside_gb2312_still_loads(conn, landing):
    names = ["王玥", "张喆", "李堃", "赵敏"]
    content = MEMBERS_HEADER + "".join(
        f"M{i},,,{name},F,,2025-01-01 10:00:00,S1,GOLD,100,active\n" for i, name in enumerate(names)
    )
    landing.write("member", "2026-01-01", "members.csv", content, "gb18030")
    report = ingest(conn, landing.root)
    assert not report.errors
    assert rows(conn, "select name, _encoding from raw.member__members order by member_id") == [
        (name, "gb18030") for name in names
    ]


# 4. Epochs in a plausible range.


def test_an_epoch_in_milliseconds_or_before_2000_is_quarantined(conn, landing):
    content = (
        CONTACT_EVENT % (1, "1767225600")
        + CONTACT_EVENT % (2, "1767225600000")
        + CONTACT_EVENT % (3, "5")
        + CONTACT_EVENT % (4, '"1767225600"')
    )
    landing.write("wecom", "2026-01-01", "contact_events.jsonl", content)
    ingest(conn, landing.root)
    assert rows(conn, "select ExternalUserID, CreateTime from raw.wecom__contact_events") == [
        ("wm1", 1767225600),
        ("wm4", 1767225600),
    ]
    file = "wecom/2026-01-01/contact_events.jsonl"
    assert quarantine(conn) == [
        (file, 2, "implausible CreateTime: 1767225600000"),
        (file, 3, "implausible CreateTime: 5"),
    ]


def contact(userid: str, *createtimes) -> str:
    follow = [{"userid": f"s{i}", "createtime": t, "tags": []} for i, t in enumerate(createtimes)]
    record = {"external_contact": {"external_userid": userid}, "follow_user": follow}
    return json.dumps(record, ensure_ascii=False) + "\n"


def test_a_follow_user_createtime_in_milliseconds_is_quarantined(conn, landing):
    content = (
        contact("wm1", 1718000000, 1718000500)
        + contact("wm2", 1718000000, 1718000000000)
        + contact("wm3")
        + '{"external_contact":{"external_userid":"wm4"},"follow_user":"none"}\n'
        + contact("wm5", 1718000000, "soon")
    )
    landing.write("wecom", "2026-01-01", "external_contacts.jsonl", content)
    ingest(conn, landing.root)
    assert rows(conn, "select external_userid from raw.wecom__external_contacts order by 1") == [
        ("wm1",),
        ("wm3",),
        ("wm4",),
    ]
    file = "wecom/2026-01-01/external_contacts.jsonl"
    assert quarantine(conn) == [
        (file, 2, "implausible follow_user.createtime: 1718000000000"),
        (file, 5, "implausible follow_user.createtime: soon"),
    ]


# 6. Money in a plausible range, a setting.


def test_an_amount_above_the_bound_is_quarantined(conn, landing):
    content = (
        ORDERS_HEADER
        + ORDER.format(id="A1", amount="1000000.00")
        + ORDER.format(id="A2", amount="1e12")
        + "A3,o1,paid,99.00,0.00,99.00,,2026-01-01 10:00:00,,2026-01-01 10:00:00\n"
    )
    landing.write("miniprogram", "2026-01-01", "orders.csv", content)
    ingest(conn, landing.root)
    assert rows(conn, "select order_id from raw.miniprogram__orders") == [("A1",), ("A3",)]
    assert quarantine(conn) == [
        (
            "miniprogram/2026-01-01/orders.csv",
            3,
            "implausible total_amount: 1e12; implausible paid_amount: 1e12",
        )
    ]


def test_every_amount_column_has_the_bound(conn, landing):
    items = (
        "order_id,line_no,sku_id,product_name,category,quantity,unit_price\n"
        "A1,1,S1,p,c,1,2000000\n"
        "A1,2,S2,p,c,1,20.00\n"
    )
    grants = (
        "grant_id,openid,coupon_id,coupon_name,face_value,min_spend,granted_at,expires_at,status,"
        "used_order_id,updated_at\n"
        "G1,o1,C1,c,5000000,9000000,2026-01-01 10:00:00,2026-02-01 10:00:00,unused,,"
        "2026-01-01 10:00:00\n"
        "G2,o1,C1,c,5.00,,2026-01-01 10:00:00,2026-02-01 10:00:00,unused,,2026-01-01 10:00:00\n"
    )
    offline = (
        "order_id,member_id,store_id,order_status,paid_amount,paid_at,updated_at\n"
        "B1,M1,S1,paid,1000000.01,2026-01-01 10:00:00,2026-01-01 10:00:00\n"
        "B2,M1,S1,paid,1000000.00,2026-01-01 10:00:00,2026-01-01 10:00:00\n"
    )
    landing.write("miniprogram", "2026-01-01", "order_items.csv", items)
    landing.write("miniprogram", "2026-01-01", "coupon_grants.csv", grants)
    landing.write("member", "2026-01-01", "offline_orders.csv", offline)
    report = ingest(conn, landing.root, settings=IngestSettings(max_amount=1_000_000))
    assert (report.errors, report.rows) == ([], 3)
    assert [r[2] for r in quarantine(conn)] == [
        "implausible paid_amount: 1000000.01",
        "implausible face_value: 5000000; implausible min_spend: 9000000",
        "implausible unit_price: 2000000",
    ]


def test_the_amount_bound_is_the_setting_cdp_max_amount(conn, landing, monkeypatch):
    assert Settings.from_env({}).ingest.max_amount == 1_000_000
    assert Settings.from_env({"CDP_MAX_AMOUNT": "500"}).ingest.max_amount == 500
    monkeypatch.setenv("CDP_MAX_AMOUNT", "500")
    content = ORDERS_HEADER + ORDER.format(id="A1", amount="499.00")
    content += ORDER.format(id="A2", amount="501.00")
    landing.write("miniprogram", "2026-01-01", "orders.csv", content)
    ingest(conn, landing.root)
    assert rows(conn, "select order_id from raw.miniprogram__orders") == [("A1",)]
    assert [r[2] for r in quarantine(conn)] == [
        "implausible total_amount: 501.00; implausible paid_amount: 501.00"
    ]


# 5. A file of (nearly) nothing but bad rows is unreadable, from ten bad rows on.


def test_events_written_as_a_json_array_are_unreadable(conn, landing):
    lines = ["["] + [EVENT % n + "," for n in range(1, 29)] + [EVENT % 29, "]"]
    assert len(lines) == 31
    path = landing.write("miniprogram", "2026-01-01", "events.jsonl", "\n".join(lines) + "\n")
    landing.write("miniprogram", "2026-01-02", "events.jsonl", EVENT % 100 + "\n")
    report = ingest(conn, landing.root)
    assert [str(e) for e in report.errors] == [
        f"{path}, line 1: nearly every record breaks the contract (30 of 31), "
        "the first: invalid JSON"
    ]
    assert rows(conn, "select event_id from raw.miniprogram__events") == [("e100",)]
    assert rows(conn, "select file from raw._loads") == [("miniprogram/2026-01-02/events.jsonl",)]
    assert quarantine(conn) == []


def test_a_small_csv_of_only_bad_rows_is_unreadable(conn, landing):
    shifted = "".join(
        f"A{n},o1,100.00,paid,0.00,100.00,,2026-01-01 10:00:00,,2026-01-01\n" for n in range(12)
    )
    path = landing.write("miniprogram", "2026-01-01", "orders.csv", ORDERS_HEADER + shifted)
    report = ingest(conn, landing.root)
    assert [str(e) for e in report.errors] == [
        f"{path}, line 2: nearly every record breaks the contract (12 of 12), the first: "
        "unknown order_status: 100.00; not a number total_amount: paid; "
        "unparseable updated_at: 2026-01-01"
    ]
    assert rows(conn, "select count(*) from raw._loads") == [(0,)]


def test_a_few_bad_rows_alone_in_a_file_are_quarantined_row_by_row(conn, landing):
    content = ORDERS_HEADER + "".join(ORDER.format(id=f"B{n}", amount="-1.00") for n in range(3))
    landing.write("miniprogram", "2026-01-01", "orders.csv", content)
    report = ingest(conn, landing.root)
    assert (report.errors, report.rows, report.quarantined) == ([], 0, 3)


def test_a_file_with_some_good_rows_still_loads_them(conn, landing):
    content = ORDERS_HEADER + ORDER.format(id="A1", amount="1.00") + "".join(
        ORDER.format(id=f"B{n}", amount="-1.00") for n in range(8)
    )
    landing.write("miniprogram", "2026-01-01", "orders.csv", content)
    report = ingest(conn, landing.root)
    assert (report.errors, report.rows, report.quarantined) == ([], 1, 8)


def test_a_reloaded_file_of_bad_rows_keeps_the_rows_loaded_before(conn, landing):
    good = ORDER.format(id="A1", amount="1.00")
    bad = "".join(ORDER.format(id=f"A{n}", amount="-1.00") for n in range(10, 20))
    landing.write("miniprogram", "2026-01-01", "orders.csv", ORDERS_HEADER + good)
    ingest(conn, landing.root)
    landing.write("miniprogram", "2026-01-01", "orders.csv", ORDERS_HEADER + bad)
    report = ingest(conn, landing.root, reload=[date(2026, 1, 1)])
    assert len(report.errors) == 1
    assert rows(conn, "select order_id from raw.miniprogram__orders") == [("A1",)]
    assert quarantine(conn) == []
