"""The landing-zone contract: every source entity, its file, kind, key and columns.

This module is the single place the ingestion learns what a valid extract looks like
(docs/landing-zone.md describes the same contract for people). A column's `kind` decides
how its text is checked and typed in the raw table; a row that breaks a check goes to the
quarantine table instead of the raw table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["text", "timestamp", "date", "money", "integer", "epoch", "json"]

SNAPSHOT = "snapshot"
INCREMENT = "increment"

EARLIEST_EPOCH = 946_684_800
"""2000-01-01 00:00:00 UTC: an epoch (seconds) before it is implausible."""
LATEST_EPOCH = 4_102_444_800
"""2100-01-01 00:00:00 UTC: an epoch from it on is implausible. Milliseconds (1.7e12 today) and
microseconds fall far beyond; how far after its extract a time may lie is the quality gate's
and the staging models' business."""


@dataclass(frozen=True)
class Column:
    """One column of an extract.

    `required` columns must hold a value (an empty one quarantines the row as a missing key
    when the column is part of the key, else as a missing value); `values` lists the accepted
    codes of an enumerated column; `non_negative` money or integers below zero quarantine
    the row. `path` is the JSON path for JSON Lines entities (default: the column's name).
    `line_breaks` says a CSV value of the column may hold a line break (a quoted value
    spanning lines); no column of the landing zone's does, so there a line break always
    ends a record.
    """

    name: str
    kind: ColumnKind = "text"
    required: bool = False
    values: tuple[str, ...] | None = None
    non_negative: bool = False
    path: str | None = None
    line_breaks: bool = False

    @property
    def sql_type(self) -> str:
        return {
            "text": "varchar",
            "timestamp": "timestamp",
            "date": "date",
            "money": "decimal(18, 2)",
            "integer": "bigint",
            "epoch": "bigint",
            "json": "json",
        }[self.kind]

    @property
    def json_path(self) -> str:
        return self.path or f"$.{self.name}"


@dataclass(frozen=True)
class ListEpoch:
    """An epoch-seconds field of every object in a list of a JSON Lines record, e.g. each
    `follow_user[].createtime` of a WeCom contact: outside [EARLIEST_EPOCH, LATEST_EPOCH), or
    not a number, it quarantines the record."""

    items: str
    """The list's key at the top of the record."""
    field: str

    @property
    def name(self) -> str:
        return f"{self.items}.{self.field}"


@dataclass(frozen=True)
class Entity:
    """One extract file of one source system."""

    source: str
    name: str
    fmt: Literal["csv", "jsonl"]
    kind: Literal["snapshot", "increment"]
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    list_epochs: tuple[ListEpoch, ...] = ()

    @property
    def line_breaks(self) -> bool:
        """Whether a CSV record may span lines (a column whose values may hold line breaks)."""
        return any(c.line_breaks for c in self.columns)

    @property
    def file_name(self) -> str:
        return f"{self.name}.{self.fmt}"

    @property
    def table(self) -> str:
        """The raw table's name, inside the `raw` schema of the build database."""
        return f"{self.source}__{self.name}"

    @property
    def label(self) -> str:
        return f"{self.source}/{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _key(*names: str) -> tuple[Column, ...]:
    return tuple(Column(n, required=True) for n in names)


ORDER_STATUSES = ("created", "paid", "shipped", "completed", "cancelled", "refunded")
COUPON_GRANT_STATUSES = ("unused", "used", "expired")

ENTITIES: tuple[Entity, ...] = (
    Entity(
        "miniprogram",
        "users",
        "csv",
        SNAPSHOT,
        ("openid",),
        (
            *_key("openid"),
            Column("unionid"),
            Column("mobile"),
            Column("nickname"),
            Column("registered_at", "timestamp", required=True),
        ),
    ),
    Entity(
        "miniprogram",
        "orders",
        "csv",
        INCREMENT,
        ("order_id",),
        (
            *_key("order_id"),
            Column("openid", required=True),
            Column("order_status", required=True, values=ORDER_STATUSES),
            Column("total_amount", "money", required=True, non_negative=True),
            Column("discount_amount", "money", non_negative=True),
            Column("paid_amount", "money", required=True, non_negative=True),
            Column("coupon_id"),
            Column("created_at", "timestamp", required=True),
            Column("paid_at", "timestamp"),
            Column("updated_at", "timestamp", required=True),
        ),
    ),
    Entity(
        "miniprogram",
        "order_items",
        "csv",
        INCREMENT,
        ("order_id", "line_no"),
        (
            *_key("order_id"),
            Column("line_no", "integer", required=True),
            Column("sku_id", required=True),
            Column("product_name"),
            Column("category"),
            Column("quantity", "integer", required=True, non_negative=True),
            Column("unit_price", "money", required=True, non_negative=True),
        ),
    ),
    Entity(
        "miniprogram",
        "coupon_grants",
        "csv",
        INCREMENT,
        ("grant_id",),
        (
            *_key("grant_id"),
            Column("openid", required=True),
            Column("coupon_id", required=True),
            Column("coupon_name"),
            Column("face_value", "money", required=True, non_negative=True),
            Column("min_spend", "money", non_negative=True),
            Column("granted_at", "timestamp", required=True),
            Column("expires_at", "timestamp", required=True),
            Column("status", required=True, values=COUPON_GRANT_STATUSES),
            Column("used_order_id"),
            Column("updated_at", "timestamp", required=True),
        ),
    ),
    Entity(
        "miniprogram",
        "events",
        "jsonl",
        INCREMENT,
        ("event_id",),
        (
            *_key("event_id"),
            Column("openid", required=True),
            Column("event_name", required=True),
            Column("event_at", "timestamp", required=True),
            Column("properties", "json"),
        ),
    ),
    Entity(
        "wecom",
        "external_contacts",
        "jsonl",
        SNAPSHOT,
        ("external_userid",),
        (
            Column("external_userid", required=True, path="$.external_contact.external_userid"),
            Column("record", "json", required=True, path="$"),
        ),
        list_epochs=(ListEpoch("follow_user", "createtime"),),
    ),
    Entity(
        "wecom",
        "contact_events",
        "jsonl",
        INCREMENT,
        ("ExternalUserID", "UserID", "ChangeType", "CreateTime"),
        (
            Column("ExternalUserID", required=True),
            Column("UserID", required=True),
            Column(
                "ChangeType",
                required=True,
                values=(
                    "add_external_contact",
                    "edit_external_contact",
                    "add_half_external_contact",
                    "del_external_contact",
                    "del_follow_user",
                ),
            ),
            Column("CreateTime", "epoch", required=True, non_negative=True),
            Column("State"),
        ),
    ),
    Entity(
        "wecom",
        "interactions",
        "csv",
        INCREMENT,
        ("interaction_id",),
        (
            *_key("interaction_id"),
            Column("external_userid", required=True),
            Column("userid", required=True),
            Column("channel", required=True, values=("private_chat", "group_chat", "moments")),
            Column("direction", required=True, values=("inbound", "outbound")),
            Column("occurred_at", "timestamp", required=True),
        ),
    ),
    Entity(
        "member",
        "members",
        "csv",
        SNAPSHOT,
        ("member_id",),
        (
            *_key("member_id"),
            Column("mobile"),
            Column("unionid"),
            Column("name"),
            Column("gender", values=("M", "F", "U")),
            Column("birthday", "date"),
            Column("registered_at", "timestamp", required=True),
            Column("register_store_id"),
            Column("tier_code", values=("NORMAL", "SILVER", "GOLD", "PLATINUM")),
            Column("points_balance", "integer"),
            Column("status", required=True, values=("active", "frozen", "cancelled")),
        ),
    ),
    Entity(
        "member",
        "offline_orders",
        "csv",
        INCREMENT,
        ("order_id",),
        (
            *_key("order_id"),
            Column("member_id", required=True),
            Column("store_id"),
            Column("order_status", required=True, values=("paid", "refunded")),
            Column("paid_amount", "money", required=True, non_negative=True),
            Column("paid_at", "timestamp", required=True),
            Column("updated_at", "timestamp", required=True),
        ),
    ),
    Entity(
        "member",
        "points_ledger",
        "csv",
        INCREMENT,
        ("entry_id",),
        (
            *_key("entry_id"),
            Column("member_id", required=True),
            Column("points_delta", "integer", required=True),
            Column(
                "reason",
                required=True,
                values=("purchase", "checkin", "redeem", "expire", "adjust"),
            ),
            Column("occurred_at", "timestamp", required=True),
            Column("expires_at", "timestamp"),
        ),
    ),
)

SOURCES: tuple[str, ...] = tuple(dict.fromkeys(e.source for e in ENTITIES))


def entity(label: str) -> Entity:
    """The entity named `<source>/<name>`."""
    for e in ENTITIES:
        if e.label == label:
            return e
    raise KeyError(f"unknown entity {label!r}; known: {', '.join(e.label for e in ENTITIES)}")
