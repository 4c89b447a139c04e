"""The push plan: the published `customer_actions` to send, and the action catalog's texts.

`customer_actions` (a published table, playbook §15) holds every action
proposed for the publish's as-of date with its contact-policy status; only `issued` rows are
pushed. Those on channel `wecom` become one task per (staff member `owner_userid`, action)
to the customers' `external_userid`s; those on channel `miniprogram` become one
subscription-message row per customer, to the first of the customer's sorted `openids`
(published `customer_profile`). The text of an action is the `message_template` of its row
in the action catalog, the dbt seed `dbt_project/seeds/action_catalog.csv`, sent as it is (no
placeholders). The manifest (`<warehouse>/published/_manifest.json`) names the publish.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from cdp.settings import SettingsError
from cdp.wecom.plan import Publish, check_row_count, read_publish, read_published

TABLE = "customer_actions"
PROFILE = "customer_profile"
PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
"""The dbt project beside this package (as orchestration/dbt_manifest.py finds it)."""
ACTION_CATALOG = PROJECT_DIR / "seeds" / "action_catalog.csv"
"""The action catalog, a dbt seed operators edit."""
CATALOG_COLUMNS = ("action", "label_zh", "enabled", "message_template")
ISSUED = "issued"
WECOM = "wecom"
MINIPROGRAM = "miniprogram"
TEXT_MAX_BYTES = 4000
"""WeCom's limit of a text message's content, in UTF-8 bytes."""
ACTION_NAME = re.compile(r"[A-Za-z0-9_-]+")
"""An action name is also part of a file name (miniprogram_<action>.csv)."""


@dataclass(frozen=True)
class CatalogEntry:
    """One row of the action catalog (the columns the push uses)."""

    action: str
    label_zh: str
    enabled: bool
    message: str


@dataclass(frozen=True)
class WecomTask:
    """The customers (sorted, each once) one staff member sends one action's text to."""

    sender: str
    action: str
    action_zh: str
    message: str
    external_userids: tuple[str, ...]


@dataclass(frozen=True)
class MiniprogramRow:
    """One subscription message: a row of `miniprogram_<action>.csv`."""

    customer_id: str
    openid: str
    action: str
    action_zh: str
    message: str


@dataclass(frozen=True)
class PushPlan:
    """What one publish asks to push, and how its `customer_actions` rows divide."""

    publish: Publish
    tasks: tuple[WecomTask, ...]
    """Sorted by staff member, then action."""
    miniprogram: dict[str, tuple[MiniprogramRow, ...]]
    """Action -> its rows sorted by customer_id; actions sorted."""
    statuses: dict[str, int]
    """Rows of `customer_actions` per status."""
    issued_channels: dict[str, int]
    """`issued` rows per channel."""
    disabled: dict[str, int]
    """Issued wecom/miniprogram rows per action left out: the catalog disables the action."""

    @property
    def wecom_customers(self) -> int:
        return sum(len(task.external_userids) for task in self.tasks)

    @property
    def miniprogram_customers(self) -> int:
        return sum(len(rows) for rows in self.miniprogram.values())

    @property
    def not_pushed_channels(self) -> dict[str, int]:
        """`issued` rows on a channel the push has no way to send (e.g. `none`)."""
        return {
            channel: count
            for channel, count in self.issued_channels.items()
            if channel not in (WECOM, MINIPROGRAM)
        }


def first_line(text: str, width: int) -> str:
    """The first non-empty line of `text`, cut to `width` characters (with `…`)."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"


def read_catalog(path: Path) -> dict[str, CatalogEntry]:
    """The action catalog: action -> its entry; a missing or malformed file raises
    SettingsError naming it."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in CATALOG_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise SettingsError(f"action catalog {path}: no column {', '.join(missing)}")
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SettingsError(f"cannot read the action catalog {path}: {exc}") from None
    catalog: dict[str, CatalogEntry] = {}
    for line, row in enumerate(rows, start=2):
        action = (row["action"] or "").strip()
        enabled = (row["enabled"] or "").strip().lower()
        if enabled not in ("true", "false"):
            raise SettingsError(
                f"action catalog {path} line {line}: enabled {row['enabled']!r} is not true/false"
            )
        label_zh = (row["label_zh"] or "").strip()
        message = row["message_template"] or ""
        catalog[action] = CatalogEntry(action, label_zh, enabled == "true", message)
    return catalog


def load_push_plan(warehouse_dir: Path, catalog_path: Path = ACTION_CATALOG) -> PushPlan:
    """Read the manifest, `customer_actions`, the openids of `customer_profile` and the
    catalog; bad or missing input (or a publish that contradicts itself) raises SettingsError.
    """
    publish, manifest = read_publish(warehouse_dir)
    tables = manifest.get("tables")
    if isinstance(tables, dict) and TABLE not in tables:
        raise SettingsError(
            f"the publish {publish.run_id} has no {TABLE}: run `cdp run` with a project that "
            "builds it"
        )
    counts, wecom_rows, miniprogram_rows = read_published(
        warehouse_dir,
        TABLE,
        f"select status, channel, as_of_date, count(*) from {TABLE} group by all",
        f"select owner_userid, action, action_zh, external_userid from {TABLE} "
        f"where status = '{ISSUED}' and channel = '{WECOM}' "
        "order by owner_userid, action, external_userid",
        f"select actions.customer_id, actions.action, actions.action_zh, "
        f"list_sort(list_filter(profile.openids, lambda o: coalesce(o, '') <> ''))[1] "
        f"from {TABLE} as actions left join {PROFILE} as profile using (customer_id) "
        f"where actions.status = '{ISSUED}' and actions.channel = '{MINIPROGRAM}' "
        "order by actions.action, actions.customer_id",
    )
    check_row_count(warehouse_dir, manifest, TABLE, sum(row[3] for row in counts))
    statuses: Counter[str] = Counter()
    issued_channels: Counter[str] = Counter()
    for status, channel, as_of, count in counts:
        if as_of != publish.as_of_date:
            raise SettingsError(
                f"{TABLE} has rows as of {as_of} but the manifest is as of {publish.as_of_date}: "
                "the publish is inconsistent, run `cdp run` again"
            )
        statuses[str(status)] += count
        if status == ISSUED:
            issued_channels[str(channel)] += count

    catalog = read_catalog(catalog_path)
    disabled: Counter[str] = Counter()

    def message(action: str) -> str | None:
        """The catalog's text of `action`; None when the catalog disables it."""
        entry = catalog.get(action)
        if entry is None:
            raise SettingsError(
                f"{TABLE} issues action {action!r}, which the action catalog {catalog_path} "
                "does not have"
            )
        if not entry.enabled:
            return None
        if not ACTION_NAME.fullmatch(action):
            raise SettingsError(f"action catalog {catalog_path}: action {action!r} is not a name")
        if not entry.message.strip():
            raise SettingsError(f"action catalog {catalog_path}: {action} has no message_template")
        if len(entry.message.encode("utf-8")) > TEXT_MAX_BYTES:
            raise SettingsError(
                f"action catalog {catalog_path}: the message_template of {action} is longer "
                f"than WeCom's {TEXT_MAX_BYTES} bytes"
            )
        return entry.message

    grouped: dict[tuple[str, str], tuple[str, str, set[str]]] = {}
    for sender, action, action_zh, external_userid in wecom_rows:
        if not sender or not external_userid:
            raise SettingsError(
                f"{TABLE}: an issued wecom row of {action} has no owner_userid or "
                "external_userid: the publish is inconsistent"
            )
        text = message(action)
        if text is None:
            disabled[action] += 1
            continue
        grouped.setdefault((sender, action), (action_zh or "", text, set()))[2].add(
            external_userid
        )
    tasks = tuple(
        WecomTask(sender, action, action_zh, text, tuple(sorted(recipients)))
        for (sender, action), (action_zh, text, recipients) in sorted(grouped.items())
    )

    miniprogram: dict[str, list[MiniprogramRow]] = {}
    for customer_id, action, action_zh, openid in miniprogram_rows:
        if not openid:
            raise SettingsError(
                f"{TABLE}: customer {customer_id} has an issued miniprogram action {action} but "
                f"no openid in {PROFILE}: the publish is inconsistent"
            )
        text = message(action)
        if text is None:
            disabled[action] += 1
            continue
        row = MiniprogramRow(customer_id, openid, action, action_zh or "", text)
        miniprogram.setdefault(action, []).append(row)
    return PushPlan(
        publish,
        tasks,
        {action: tuple(rows) for action, rows in sorted(miniprogram.items())},
        dict(sorted(statuses.items())),
        dict(sorted(issued_channels.items())),
        dict(sorted(disabled.items())),
    )
