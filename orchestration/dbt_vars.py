"""The dbt vars of a build: those a run may override (`cdp run --vars`, the dbt asset's run
config) are those of dbt_project.yml, each taking a value of its default's kind. Checked
before anything runs, so a typo or an empty value is bad usage (exit 2, one line), not a dbt
failure half-way through the build. Plain Python: importing this module loads no Dagster
definitions.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from typing import Any

import yaml

from cdp.settings import Settings, SettingsError, parse_date
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


def build_vars(
    extra_vars: str, settings: Settings, as_of: date, last_published: date | None = None
) -> dict[str, Any]:
    """The `--vars` of the build: D, the WeCom tag prefix (settings) and the as-of date of the
    last publish (the histories rewind to it), the run's extra vars (a YAML or JSON mapping)
    over them."""
    extra: Any = {}
    if extra_vars.strip():
        try:
            extra = yaml.safe_load(extra_vars)
        except yaml.YAMLError as exc:
            first = str(exc).strip().splitlines()[0]
            raise SettingsError(f"vars: not YAML or JSON ({first})") from None
        if not isinstance(extra, dict):
            raise SettingsError(f"vars: {extra_vars!r} is not a mapping of var names to values")
        wrong = problem(extra)
        if wrong:
            raise SettingsError(f"vars: {wrong}")
    if "as_of" in extra:
        extra["as_of"] = parse_date(str(extra["as_of"]), "vars: as_of").isoformat()
    return {
        "as_of": as_of.isoformat(),
        "wecom_tag_prefix": settings.wecom.tag_prefix,
        "last_published_as_of": last_published.isoformat() if last_published else "",
        **extra,
    }


RUN_DATE_VARS = ("as_of", "last_published_as_of")
"""The vars that change from night to night. They reach dbt as environment variables
(`CDP_AS_OF`, `CDP_LAST_PUBLISHED_AS_OF`, read by macros/run/as_of.sql only while executing),
not as --vars: any change of --vars makes dbt parse the whole project again (~4 s a build)."""


def split_vars(build_vars: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The build's vars as (--vars, environment): the run dates travel in the environment,
    and a var at its dbt_project.yml default is left out (dbt gives it the same value). A
    night on the defaults passes `--vars {}`, as the project's own parse had: its first dbt
    run in a new warehouse reuses that parse (orchestration/dbt_manifest.py
    `seed_partial_parse`)."""
    known = defaults()
    cli = {
        k: v
        for k, v in build_vars.items()
        if k not in RUN_DATE_VARS and (k not in known or v != known[k] or type(v) is not type(known[k]))
    }
    env = {f"CDP_{k.upper()}": str(build_vars.get(k) or "") for k in RUN_DATE_VARS}
    return cli, env
