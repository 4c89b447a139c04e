"""`cdp` as a user types it, run in the test's own process: the console script's `main`
(pyproject.toml's `cdp` is `sys.exit(main())`) with the command's environment and folder,
its exit code and what it printed.

A `cdp` process costs about 7 s of CPU before it does anything (Python's start, the imports of
Dagster, dbt and GX, the definitions); in a test process that has run one command already, the
next costs none of it. The tests that need a process of its own (one killed half-way, the
definitions loaded afresh, the exact stderr of a real process) start one themselves, with
`PROCESS`."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from orchestration.cli.main import main

PROCESS = [sys.executable, "-m", "orchestration.cli"]
"""`cdp` in a process of its own (pyproject.toml's script runs the same `main`)."""


def folders(env: dict[str, Path], cwd: Path | None = None) -> dict[str, str]:
    """The settings of a run confined to `env`'s folders; from `cwd`, the warehouse relative
    to it (as the README's default, `data/warehouse`, is)."""
    warehouse = env["warehouse"]
    return {
        "CDP_LANDING_DIR": str(env["landing"]),
        "CDP_WAREHOUSE_DIR": os.path.relpath(warehouse, cwd) if cwd else str(warehouse),
        "DAGSTER_HOME": str(env["dagster"]),
    }


def cdp(
    *args: str, environment: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`cdp ARGS` with `environment` added to this process's, from `cwd`, told as
    `subprocess.run` tells of a `cdp` process; the environment and the folder are put back
    after it."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for key, value in environment.items():
            patch.setenv(key, value)
        if cwd is not None:
            patch.chdir(cwd)
        with redirect_stdout(stdout), redirect_stderr(stderr):
            code = main(list(args))
    return subprocess.CompletedProcess(["cdp", *args], code, stdout.getvalue(), stderr.getvalue())
