"""Shared fixtures: a temporary landing zone, a build database, and settings pointing at them."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from ingestion import warehouse

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


def pytest_configure(config: pytest.Config) -> None:
    """Python's collector set as in the project's processes, which the tests run in theirs
    (cdp/garbage_collection.py). The test modules import the Dagster definitions, which read
    the dbt manifest: parse the dbt project first when the manifest is missing or out of
    date."""
    from cdp.garbage_collection import collect_less_often
    from orchestration.dbt_manifest import ManifestError, prepare_manifest

    collect_less_often()

    try:
        prepare_manifest()
    except ManifestError as exc:
        raise pytest.UsageError(str(exc)) from None


LONGEST_FIRST = (
    "test_spark.py",
    "test_nightly.py",
    "test_identity.py",
    "test_bench.py",
    "test_incremental_staging.py",
    "test_spark_thrift.py",
    "test_spark_gate.py",
)
"""The modules whose runs take minutes, longest first (`pytest --durations`)."""
ONE_LONG_TEST = (
    "test_incremental_staging.py", "test_spark_thrift.py", "test_constraints.py", "test_bench.py",
)
"""The modules whose time is one test of a minute or so (test_bench's others take a second)."""
AHEAD_OF_THEM = 6
"""How many modules go before ONE_LONG_TEST's."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules in xdist's own order, most tests first (ties: LONGEST_FIRST, then file
    order), but ONE_LONG_TEST's after the first AHEAD_OF_THEM. `make test`'s two workers take
    whole modules in this order (`--dist loadfile --no-loadscope-reorder`), each the next when
    it is almost through its own. In xdist's order those modules came last, and one worker
    ran its last minute alone: vmstat showed the last 60-65 s of a fresh clone's run 30-60%
    idle. test_bench, whose smoke run of `cdp bench` takes most of a minute and a half, was
    still handed out last by one worker: with it among them, replaying three fresh clones'
    test times in xdist's way ended the slower worker 11-15 s sooner."""
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    tests = Counter(item.path.name for item in items)
    order = sorted(tests, key=lambda name: (-tests[name], rank.get(name, len(rank)), name))
    rest = [name for name in order if name not in ONE_LONG_TEST]
    order = [*rest[:AHEAD_OF_THEM], *(n for n in order if n in ONE_LONG_TEST), *rest[AHEAD_OF_THEM:]]
    place = {name: index for index, name in enumerate(order)}
    items.sort(key=lambda item: place[item.path.name])


def pytest_terminal_summary(terminalreporter) -> None:
    """How long the Spark part of tests/test_spark.py took (its `spark_seconds` property; an
    xdist worker's reports carry it too)."""
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", []):
        for name, value in getattr(report, "user_properties", []):
            if name == "spark_seconds":
                terminalreporter.write_line(f"{report.nodeid}: the Spark part took {value} s")


class Landing:
    """Writes extract files into `<root>/<source>/<date>/<file>`."""

    def __init__(self, root: Path):
        self.root = root

    def write(self, source: str, day: str, file: str, content: str | bytes, encoding="utf-8") -> Path:
        path = self.root / source / day / file
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content if isinstance(content, bytes) else content.encode(encoding)
        path.write_bytes(data)
        return path


@pytest.fixture(scope="session")
def spark():
    """One local Spark session for the tests of this process that use one, stopped at the
    end (a session starts in several seconds; pyspark keeps one per process anyway)."""
    from cdp.spark.session import local_session
    from test_spark import SHORT_RUN

    with local_session(2, SHORT_RUN) as session:
        yield session


@pytest.fixture(scope="session")
def three_days(tmp_path_factory: pytest.TempPathFactory):
    """The nightly runs over three_days.py's hand-written cases, once per test run."""
    from three_days import shared_runs

    return shared_runs(tmp_path_factory)


@pytest.fixture
def landing(tmp_path: Path) -> Landing:
    return Landing(tmp_path / "landing")


@pytest.fixture
def conn(tmp_path: Path):
    connection = warehouse.connect(warehouse.build_database(tmp_path / "warehouse"))
    yield connection
    connection.close()


@pytest.fixture
def cdp_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Settings for a run confined to `tmp_path`."""
    paths = {
        "landing": tmp_path / "landing",
        "warehouse": tmp_path / "warehouse",
        "dagster": tmp_path / "dagster",
    }
    monkeypatch.setenv("CDP_LANDING_DIR", str(paths["landing"]))
    monkeypatch.setenv("CDP_WAREHOUSE_DIR", str(paths["warehouse"]))
    monkeypatch.setenv("DAGSTER_HOME", str(paths["dagster"]))
    paths["dagster"].mkdir(parents=True, exist_ok=True)
    return paths


@pytest.fixture
def env(tmp_path: Path, sample: Path) -> dict[str, Path]:
    """A copy of the module's generated landing zone (its `sample` fixture) with a warehouse
    and a Dagster home of its own, for the tests that run `cdp` as a user does."""
    landing = tmp_path / "landing"
    shutil.copytree(sample, landing)
    return {"landing": landing, "warehouse": tmp_path / "warehouse", "dagster": tmp_path / "dagster"}

