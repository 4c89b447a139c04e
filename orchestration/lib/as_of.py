"""The run's as-of date D, which every build step of a run shares.

A run carries it as the run tag `cdp/as_of` (set by `cdp run`, the nightly schedule and the
sensor); a step's config `as_of` (e.g. from the UI's launchpad) wins over the tag; without
either, the `CDP_AS_OF` setting (default: today in Asia/Shanghai).
"""

from datetime import date

import dagster as dg

from cdp.settings import Settings, SettingsError, parse_date

AS_OF_TAG = "cdp/as_of"


class AsOfConfig(dg.Config):
    as_of: str = ""
    """The run's as-of date D (YYYY-MM-DD); empty means the run's `cdp/as_of` tag, else the
    `CDP_AS_OF` setting (or today)."""


def resolve_as_of(config_as_of: str, context: dg.OpExecutionContext) -> date:
    """D for a step; a bad date fails the step with one line."""
    try:
        if config_as_of.strip():
            return parse_date(config_as_of, "as_of")
        tagged = context.run.tags.get(AS_OF_TAG, "")
        if tagged.strip():
            return parse_date(tagged, f"run tag {AS_OF_TAG}")
        return Settings.from_env().as_of
    except SettingsError as exc:
        raise dg.Failure(description=str(exc)) from None
