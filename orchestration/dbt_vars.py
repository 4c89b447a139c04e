"""The dbt vars a run may override (`cdp run --vars`, the dbt asset's run config): those of
dbt_project.yml, each taking a value of its default's kind. Checked before anything runs, so
a typo or an empty value is bad usage (exit 2, one line), not a dbt failure half-way through
the build. Plain Python: importing this module loads no Dagster definitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Any

import yaml

from orchestration.dbt_manifest import PROJECT_DIR

KINDS = {bool: "true or false", int: "a number", float: "a number", str: "text", list: "a list"}


@cache
def defaults() -> dict[str, Any]:
    """The vars of dbt_project.yml with their default values."""
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return dict(project.get("vars") or {})


def _fits(value: Any, default: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    if isinstance(default, str):  # YAML reads an unquoted 2026-10-31 as a date
        return isinstance(value, (str, date))
    return isinstance(value, type(default))


def problem(overrides: Mapping[str, Any]) -> str | None:
    """The first thing wrong with `overrides` (unknown name, empty value, wrong kind), or
    None when every var is known and of its default's kind."""
    known = defaults()
    for name, value in overrides.items():
        if name not in known:
            return f"unknown var {name!r} (the vars are those of dbt_project.yml: docs/rules.md)"
        default = known[name]
        kind = KINDS.get(type(default), type(default).__name__)
        if value is None:
            return f"{name}: empty value (expected {kind}, default {default!r})"
        if not _fits(value, default):
            return f"{name}: {value!r} is not {kind} (default {default!r})"
    return None
