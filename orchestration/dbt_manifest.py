"""The dbt project's manifest, which the Dagster definitions read at import time.

`prepare_manifest()` runs `dbt parse` when `dbt_project/target/manifest.json` is missing or
older than any file of the project (models, macros, tests, seeds, dbt_project.yml,
profiles.yml). `cdp run`, `cdp demo`, `cdp ui`, `make manifest` and the tests call it before
they import the definitions, which only read it (`dagster definitions validate` from a clean
clone needs `make manifest` first). That parse also serves a new warehouse's first dbt run:
`seed_partial_parse` gives its dbt target the project's partial parse. Plain Python:
importing this module loads no Dagster definitions.
"""

from __future__ import annotations

import contextvars
import os
import pprint
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
"""The dbt project; its profiles.yml lives in it too."""
MANIFEST = PROJECT_DIR / "target" / "manifest.json"
PARTIAL_PARSE = "partial_parse.msgpack"
"""dbt's parsed project, beside a target's manifest (`seed_partial_parse`)."""
GENERATED = {"target", "logs", "dbt_packages"}
"""Folders dbt writes into the project: not sources of the manifest."""

TELEMETRY_OFF = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}


class ManifestError(Exception):
    """`dbt parse` failed; the message is dbt's error, a few lines at most."""


def dbt_executable() -> str:
    """The dbt of this Python environment: `cdp-dbt` (dbt Core, with the project's Python
    models runnable on a local Spark session: cdp/spark/dbt.py), else the venv's `dbt`, else
    `dbt` on the PATH."""
    for name in ("cdp-dbt", "dbt"):
        beside = Path(sys.executable).with_name(name)
        if beside.exists():
            return str(beside)
    return "dbt"


def _project_files() -> Iterator[Path]:
    for root, dirs, files in os.walk(PROJECT_DIR):
        dirs[:] = [d for d in dirs if d not in GENERATED and not d.startswith(".")]
        for name in files:
            if not name.startswith("."):
                yield Path(root) / name


def stale_reason() -> str | None:
    """Why the manifest must be parsed again, or None when it is up to date."""
    if not MANIFEST.exists():
        return "no manifest yet"
    built = MANIFEST.stat().st_mtime
    newer = [p for p in _project_files() if p.stat().st_mtime > built]
    if newer:
        first = min(newer, key=lambda p: str(p))
        more = f" and {len(newer) - 1} more" if len(newer) > 1 else ""
        return f"{first.relative_to(PROJECT_DIR)}{more} changed"
    return None


def parse(env: dict[str, str] | None = None) -> None:
    """Run `dbt parse` on the project (writes target/manifest.json)."""
    command = [dbt_executable(), "parse", "--quiet", "--no-use-colors",
               "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
    done = subprocess.run(
        command,
        cwd=PROJECT_DIR,
        env={**os.environ, **TELEMETRY_OFF, **(env or {})},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or not MANIFEST.exists():
        lines = [line.strip() for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        raise ManifestError(
            "dbt parse failed: " + (" | ".join(lines[:6]) or f"exit code {done.returncode}")
        )


class Connection(NamedTuple):
    """What a dbt parse depends on of the profile (on the parse's adapter): its database and
    the hash dbt keeps of its connection (dbt/parser/manifest.py, `build_manifest_state_check`)."""

    database: str
    profile_hash: str


def seed_partial_parse(target_path: Path, environment: Mapping[str, str]) -> bool:
    """Give a dbt target folder that has no partial parse yet the project's own (written by
    `parse`), stamped with the profile `environment` renders; True if it did.

    dbt reuses a target's `partial_parse.msgpack` only if the profile's connection (for
    DuckDB: the build database's path, threads and memory) is the one it was parsed with, so
    every new warehouse paid a whole parse on its first dbt run: 4.4 s of CPU here, against
    0.8 s for a partial one. While parsing, the project reads only `target.type` and
    `target.schema` (fixed in profiles.yml), and every node's database is the profile's: the
    project's parse holds for any warehouse on the same adapter and database. (dagster-dbt
    copies the project's file too, unstamped, and edits it for its seeds.) Another adapter
    (the `spark` target) or a profile that does not render leaves the folder as it is: dbt
    then parses the project whole, as before. dbt still parses again the files changed
    since, and everything when --vars differ from the parse's (none)."""
    source = PROJECT_DIR / "target" / PARTIAL_PARSE
    destination = Path(target_path) / PARTIAL_PARSE
    if destination.exists() or not source.exists():
        return False
    import msgpack

    parsed = msgpack.unpackb(source.read_bytes(), raw=False, strict_map_key=False)
    adapter = (parsed.get("metadata") or {}).get("adapter_type")
    connection = contextvars.copy_context().run(_connection, environment, adapter)
    databases = {node.get("database") for node in (parsed.get("nodes") or {}).values()}
    state_check = parsed.get("state_check")
    if (
        connection is None
        or not isinstance(state_check, dict)
        or databases != {connection.database}
    ):
        return False
    state_check["profile_hash"] = {"name": "sha256", "checksum": connection.profile_hash}
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_bytes(msgpack.packb(parsed))
    return True


def _connection(environment: Mapping[str, str], adapter: str | None) -> Connection | None:
    """The profile `environment` renders, as dbt's parse sees it; None if it does not
    render or its target is not on `adapter`, whose plugin is then never loaded (dbt-spark's
    would stay registered in dbt's adapter factory for the rest of the process). Run in a
    copied context: dbt's `env_var` reads the invocation context set here."""
    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt.contracts.files import FileHash
    from dbt_common.context import set_invocation_context
    from dbt_common.exceptions import DbtBaseException

    set_invocation_context(dict(environment))
    try:
        raw = read_profile(str(PROJECT_DIR))["cdp"]
        target, values = Profile.render_profile(raw, "cdp", None, ProfileRenderer({}))
        if values.get("type") != adapter:
            return None
        values.pop("threads", None)
        credentials = Profile._credentials_from_profile(values, "cdp", target)
    except DbtBaseException:
        return None
    keys = pprint.pformat(sorted(credentials.connection_info()))
    return Connection(credentials.database, FileHash.from_contents(keys).checksum)


def prepare_manifest(say: Callable[[str], None] | None = None) -> bool:
    """Parse the dbt project when its manifest is missing or out of date; True if it parsed."""
    reason = stale_reason()
    if reason is None:
        return False
    started = time.perf_counter()
    parse()
    if say is not None:
        say(f"parsed the dbt project ({reason}) in {time.perf_counter() - started:.1f}s")
    return True


if __name__ == "__main__":
    try:
        prepare_manifest(say=print)
    except ManifestError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
