"""The sync plan: the published `wecom_tag_sync` rows and the publish they belong to.

`wecom_tag_sync` (a published table, read with cdp.publish.open_published) holds one row
per (staff, customer) relationship whose CDP tags in WeCom differ from the CDP's, with the
tags to add and to remove as `group/name` strings. The manifest
(`<warehouse>/published/_manifest.json`) names the publish (run id, as-of date). Tag names
are resolved to WeCom tag ids at apply time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from cdp.publish import open_published
from cdp.settings import SettingsError

MANIFEST = Path("published") / "_manifest.json"
TABLE = "wecom_tag_sync"


@dataclass(frozen=True)
class Publish:
    """The publish a plan comes from, as the manifest names it."""

    run_id: str
    as_of_date: date
    published_at: str


@dataclass(frozen=True)
class Change:
    """The tags to add to and remove from one customer of one staff member (`group/name`)."""

    userid: str
    external_userid: str
    customer_id: str
    add: tuple[str, ...]
    remove: tuple[str, ...]

    def line(self) -> str:
        """`userid -> external_userid: +group/name -group/name`."""
        tags = [f"+{tag}" for tag in self.add] + [f"-{tag}" for tag in self.remove]
        return f"{self.userid} -> {self.external_userid}: {' '.join(tags)}"


@dataclass(frozen=True)
class Plan:
    """Every relationship change of one publish, sorted by staff then customer."""

    publish: Publish
    changes: tuple[Change, ...]

    @property
    def tags_to_add(self) -> int:
        return sum(len(change.add) for change in self.changes)

    @property
    def tags_to_remove(self) -> int:
        return sum(len(change.remove) for change in self.changes)

    def tags_needed(self, changes: Iterable[Change] | None = None) -> dict[str, list[str]]:
        """Group name -> tag names that must exist in WeCom for the adds of `changes` (all)."""
        needed: dict[str, set[str]] = {}
        for change in self.changes if changes is None else changes:
            for tag in change.add:
                group, name = split_tag(tag)
                needed.setdefault(group, set()).add(name)
        return {group: sorted(names) for group, names in sorted(needed.items())}


def split_tag(tag: str) -> tuple[str, str]:
    """`group/name` -> (group, name); the name is everything after the first `/`."""
    group, _, name = tag.partition("/")
    return group, name


def read_publish(warehouse_dir: Path) -> tuple[Publish, dict]:
    """The manifest of the current publish: its Publish and the whole JSON object."""
    path = warehouse_dir / MANIFEST
    if not path.is_file():
        raise SettingsError(f"no published manifest at {path}: run `cdp run` first")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SettingsError(f"{path} is not readable JSON: {exc}") from None
    if not isinstance(manifest, dict):
        raise SettingsError(f"{path} is not a JSON object")
    run_id = manifest.get("run_id")
    as_of = manifest.get("as_of_date")
    if not isinstance(run_id, str) or not run_id.strip():
        raise SettingsError(f"{path} has no run_id")
    try:
        as_of_date = date.fromisoformat(str(as_of))
    except ValueError:
        raise SettingsError(f"{path}: as_of_date {as_of!r} is not a date (YYYY-MM-DD)") from None
    gate = manifest.get("gate")
    verdict = gate.get("verdict") if isinstance(gate, dict) else None
    if verdict != "passed":
        raise SettingsError(f"{path}: the gate verdict is {verdict!r}, not 'passed'")
    publish = Publish(run_id, as_of_date, str(manifest.get("published_at") or ""))
    return publish, manifest


def load_plan(warehouse_dir: Path, tag_prefix: str) -> Plan:
    """Read the manifest and `wecom_tag_sync`; bad or missing input raises SettingsError.

    Every tag group must start with `tag_prefix` (the CDP never touches other groups). A tag
    listed both to add and to remove is only added.
    """
    publish, manifest = read_publish(warehouse_dir)
    [rows] = read_published(
        warehouse_dir,
        TABLE,
        f"select userid, external_userid, customer_id, add_tags, remove_tags, as_of_date "
        f"from {TABLE} order by userid, external_userid",
    )
    check_row_count(warehouse_dir, manifest, TABLE, len(rows))
    changes = []
    for userid, external_userid, customer_id, add_tags, remove_tags, as_of in rows:
        where = f"{TABLE} row {userid!r} -> {external_userid!r}"
        if not userid or not external_userid:
            raise SettingsError(f"{where}: userid and external_userid must not be empty")
        if as_of != publish.as_of_date:
            raise SettingsError(
                f"{where} is as of {as_of} but the manifest as of {publish.as_of_date}: "
                "the publish is inconsistent, run `cdp run` again"
            )
        add = _tags(add_tags, tag_prefix, where)
        remove = tuple(tag for tag in _tags(remove_tags, tag_prefix, where) if tag not in add)
        changes.append(Change(userid, external_userid, customer_id or "", add, remove))
    return Plan(publish, tuple(changes))


def read_published(warehouse_dir: Path, table: str, *queries: str) -> list[list[tuple]]:
    """The rows of each of `queries` on the current publish (open_published: published.duckdb,
    or the Parquet files of a publish without it; one connection); nothing published or a
    failing query raises SettingsError naming `table`."""
    try:
        with open_published(warehouse_dir) as conn:
            return [conn.execute(query).fetchall() for query in queries]
    except FileNotFoundError:
        raise SettingsError(f"nothing published in {warehouse_dir}: run `cdp run` first") from None
    except duckdb.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SettingsError(
            f"cannot read {table} from the publish in {warehouse_dir}: {first_line}"
        ) from None


def check_row_count(warehouse_dir: Path, manifest: dict, table: str, rows: int) -> None:
    """`rows` must be the manifest's row count of `table` when the manifest gives one."""
    expected = (manifest.get("tables") or {}).get(table, {})
    if isinstance(expected, dict) and isinstance(expected.get("rows"), int):
        if expected["rows"] != rows:
            raise SettingsError(
                f"the publish in {warehouse_dir} has {rows:,} {table} rows but the manifest says "
                f"{expected['rows']:,}: the publish is inconsistent, run `cdp run` again"
            )


def _tags(values: list[str] | None, tag_prefix: str, where: str) -> tuple[str, ...]:
    tags = sorted({value for value in values or [] if value is not None})
    for tag in tags:
        group, name = split_tag(tag)
        if not name or len(group) <= len(tag_prefix) or not group.startswith(tag_prefix):
            raise SettingsError(
                f"{where}: tag {tag!r} is not `group/name` with a group starting with "
                f"{tag_prefix!r} (CDP_WECOM_TAG_PREFIX)"
            )
    return tuple(tags)
