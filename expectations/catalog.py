"""The codes the published tables may hold that the dbt project defines: var `tag_catalog`
in dbt_project/dbt_project.yml (every rule tag's group, code and Chinese label; docs/tags.md
shows it), read once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

PROJECT_FILE = Path(__file__).resolve().parents[1] / "dbt_project" / "dbt_project.yml"


@dataclass(frozen=True)
class Tag:
    group: str
    value: str
    label_zh: str

    @property
    def labelled(self) -> str:
        """`group:value:label`, as the suites' derived label columns spell it."""
        return f"{self.group}:{self.value}:{self.label_zh}"


@lru_cache(maxsize=1)
def tags() -> tuple[Tag, ...]:
    """Every entry of var `tag_catalog`, in catalog order."""
    project = yaml.safe_load(PROJECT_FILE.read_text(encoding="utf-8"))
    return tuple(
        Tag(str(t["group"]), str(t["value"]), str(t["label_zh"]))
        for t in project["vars"]["tag_catalog"]
    )


def groups() -> list[str]:
    return list(dict.fromkeys(t.group for t in tags()))


def values(group: str) -> list[str]:
    """The codes of one tag group, e.g. normal, silver, gold, platinum for `value_tier`."""
    found = [t.value for t in tags() if t.group == group]
    if not found:
        raise KeyError(f"tag group {group!r} is not in var tag_catalog of {PROJECT_FILE}")
    return found


def labelled(*group_names: str) -> list[str]:
    """`group:value:label` of every tag of the groups (all groups when none is named)."""
    wanted = set(group_names)
    return [t.labelled for t in tags() if not wanted or t.group in wanted]


def label_sql(group: str, value: str, label: str) -> str:
    """SQL building the `group:value:label` text from three SQL expressions."""
    return f"{group} || ':' || {value} || ':' || {label}"


def labelled_sql(group: str, value: str, label: str, *group_names: str) -> str:
    """SQL: `group:value:label` (three SQL expressions) is an entry of the catalog (of the
    groups named, or of any); a null in any of them is no verdict."""
    entries = ", ".join(_literal(entry) for entry in labelled(*group_names))
    return f"{label_sql(group, value, label)} in ({entries})"


def rank_sql(group: str, value: str) -> str:
    """SQL giving the rank (0, 1, …) of the code `value` (an SQL expression) within `group`,
    in catalog order; null for any other value."""
    ranks = " ".join(f"when {_literal(v)} then {i}" for i, v in enumerate(values(group)))
    return f"(case {value} {ranks} end)"


def next_sql(group: str, value: str) -> str:
    """SQL giving the code after `value` within `group` in catalog order (null for the last
    code and for any other value), e.g. gold after silver for `value_tier`."""
    codes = values(group)
    steps = " ".join(f"when {_literal(a)} then {_literal(b)}" for a, b in zip(codes, codes[1:]))
    return f"(case {value} {steps} end)" if steps else "cast(null as varchar)"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
