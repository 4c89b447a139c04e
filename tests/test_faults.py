"""Faults a real landing zone and machine meet (issue 27): a folder that is not a date, an
extract the operating system refuses to read, a full disk, and two runs on one warehouse.

Each test runs `cdp` on a small generated landing zone (100 customers, 5 days): through the
console script's `main` in the test's process (tests/cdp_command.py), a fault injected with
pytest's monkeypatch; a process of its own where the test needs one (killed half-way, the
definitions loaded afresh).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

import cdp_command as command
from cdp.settings import LOCAL_TIME_ZONE
from cdp_command import folders

LAST_DAY = "2026-10-31"
NOT_A_DATE = "2026-02-30"


def environ(env: dict[str, Path]) -> dict[str, str]:
    """The environment of a `cdp` process confined to `env`'s folders."""
    return {**os.environ, **folders(env)}


def cdp(*args: str, env: dict[str, Path]):
    return command.cdp(*args, environment=folders(env))


def refuse(patch: pytest.MonkeyPatch, method: str, path: Path) -> None:
    """`Path.<method>` of `path` raises the permission error the operating system gives (as
    root no mode refuses a read or a listing)."""
    original = getattr(Path, method)

    def refusing(self, *args, **kwargs):
        if str(self) == str(path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return original(self, *args, **kwargs)

    patch.setattr(Path, method, refusing)


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("faults") / "landing"
    env = {"landing": out, "warehouse": out.parent / "w", "dagster": out.parent / "d"}
    done = cdp("generate", "--customers", "100", "--days", "5", "--seed", "3", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    return out


def extract_files(env) -> int:
    return sum(1 for p in env["landing"].rglob("*") if p.is_file() or p.is_symlink())


def loaded_files(env) -> set[str]:
    with duckdb.connect(str(env["warehouse"] / "build.duckdb"), read_only=True) as conn:
        return {row[0] for row in conn.execute("select file from raw._loads").fetchall()}


def no_traceback(done) -> None:
    assert "Traceback" not in done.stdout + done.stderr
    assert "Error occurred while executing" not in done.stdout + done.stderr


# -- defect 2: a folder whose name is not a date ----------------------------------------------


def bad_folder(env) -> Path:
    """member/2026-02-30/ holding a copy of the last day's members."""
    folder = env["landing"] / "member" / NOT_A_DATE
    folder.mkdir()
    shutil.copy(env["landing"] / "member" / LAST_DAY / "members.csv", folder / "members.csv")
    return folder


def test_the_definitions_load_reading_nothing_of_the_landing_zone(env):
    """Loading the definitions (`cdp ui`), in a process of its own, reads nothing of the
    landing zone: with folders that are not dates in it and every listing of it refused (as
    root no folder mode refuses one: injected), they load, and the partitions are the extract
    folders runs have seen, none before the first run."""
    bad_folder(env)
    (env["landing"] / "wecom" / "latest").mkdir()
    env["dagster"].mkdir(parents=True, exist_ok=True)
    check = textwrap.dedent(
        f"""
        import errno, os, pathlib
        iterdir = pathlib.Path.iterdir
        def refuse(path):
            if str(path).startswith({str(env["landing"])!r}):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
            return iterdir(path)
        pathlib.Path.iterdir = refuse
        import dagster as dg
        from orchestration.definitions import defs
        from orchestration.defs.partitions import extract_dates
        dg.Definitions.validate_loadable(defs)
        print(extract_dates.get_partition_keys(dynamic_partitions_store=dg.DagsterInstance.get()))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, env=environ(env), timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_cdp_run_names_the_error_when_a_source_cannot_be_listed(env, monkeypatch):
    """As root no folder mode refuses a listing: the refusal is injected."""
    listing = env["landing"] / "member"
    with monkeypatch.context() as patch:
        refuse(patch, "iterdir", listing)
        done = cdp("run", "--as-of", LAST_DAY, "--no-build", env=env)
    assert done.returncode == 2
    no_traceback(done)
    assert done.stderr.splitlines() == [
        f"cdp run: [Errno 13] Permission denied: '{listing}'"
    ]


def test_the_sensor_skips_a_folder_that_is_not_a_date_and_says_so(env, capfd):
    from orchestration.defs.resources import LandingZone, Warehouse
    from orchestration.defs.sensors import new_extract_folder

    folder = bad_folder(env)
    resources = {
        "landing": LandingZone(landing_dir=str(env["landing"])),
        "warehouse": Warehouse(warehouse_dir=str(env["warehouse"])),
    }
    with dg.instance_for_test() as instance, dg.build_sensor_context(
        resources=resources, instance=instance
    ) as context:
        result = new_extract_folder(context)
        assert NOT_A_DATE not in instance.get_dynamic_partitions("extract_dates")
    [request] = result.run_requests
    assert request.tags["cdp/as_of"] == LAST_DAY
    assert NOT_A_DATE not in result.cursor
    warnings = [line for line in capfd.readouterr().err.splitlines() if "WARNING" in line]
    assert len(warnings) == 1
    assert f"skipped {folder}: not an extract date (YYYY-MM-DD)" in warnings[0]


def test_cdp_run_skips_a_folder_that_is_not_a_date_with_one_line(env):
    folder = bad_folder(env)
    done = cdp("run", "--as-of", LAST_DAY, "--no-build", env=env)
    assert done.returncode == 0, done.stderr
    no_traceback(done)
    assert done.stderr.splitlines() == [
        f"cdp run: warning: skipped {folder}: not an extract date (YYYY-MM-DD); "
        "its files are not loaded"
    ]
    loaded = loaded_files(env)
    assert len(loaded) == extract_files(env) - 1
    assert not any(NOT_A_DATE in name for name in loaded)


# -- defect 3: an extract the operating system refuses to read, a full disk ------------------


def test_an_extract_the_os_cannot_read_is_named_with_its_error_and_the_rest_loads(env, tmp_path):
    day = env["landing"] / "member" / LAST_DAY
    mem = day / "offline_orders.csv"
    mem.unlink()
    mem.symlink_to("/proc/self/mem")  # reading it fails: EIO
    folder = env["landing"] / "miniprogram" / LAST_DAY / "events.jsonl"
    folder.unlink()
    folder.symlink_to(tmp_path)  # a directory
    done = cdp("run", "--as-of", LAST_DAY, env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    no_traceback(done)
    assert sorted(done.stderr.splitlines()) == sorted([
        f"cdp run: {mem}: cannot be read: [Errno 5] Input/output error",
        f"cdp run: {folder}: cannot be read: [Errno 21] Is a directory",
    ])
    assert "dbt build" not in done.stdout  # nothing is built on unreadable input
    assert len(loaded_files(env)) == extract_files(env) - 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_an_extract_without_read_permission_is_named_and_the_rest_loads(env):
    denied = env["landing"] / "member" / LAST_DAY / "points_ledger.csv"
    denied.chmod(0)
    done = cdp("run", "--as-of", LAST_DAY, "--no-build", env=env)
    denied.chmod(0o644)
    assert done.returncode == 2
    no_traceback(done)
    assert done.stderr.splitlines() == [f"cdp run: {denied}: cannot be read: [Errno 13] Permission denied"]
    assert len(loaded_files(env)) == extract_files(env) - 1


def test_a_permission_error_while_reading_is_named_and_the_rest_loads(env, monkeypatch):
    """As root no file mode refuses a read: the refusal is injected into the reader."""
    denied = env["landing"] / "member" / LAST_DAY / "points_ledger.csv"
    with monkeypatch.context() as patch:
        refuse(patch, "read_bytes", denied)
        done = cdp("run", "--as-of", LAST_DAY, "--no-build", env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    no_traceback(done)
    assert done.stderr.splitlines() == [
        f"cdp run: {denied}: cannot be read: [Errno 13] Permission denied"
    ]
    assert len(loaded_files(env)) == extract_files(env) - 1


def test_a_full_disk_while_ingesting_names_what_failed(env, monkeypatch):
    """DuckDB cannot write the build database: the message says which entity, which files,
    which database and the OS error, not Dagster's wrapper."""
    import ingestion.loader as loader

    insert = loader._EntityLoader._insert

    def full(self):
        if self.entity.label == "member/points_ledger":
            raise duckdb.IOException(
                f'IO Error: Could not write file "build.duckdb.wal": {os.strerror(errno.ENOSPC)}'
            )
        return insert(self)

    with monkeypatch.context() as patch:
        patch.setattr(loader._EntityLoader, "_insert", full)
        done = cdp("run", "--as-of", LAST_DAY, "--no-build", env=env)
    assert done.returncode == 2, done.stdout + done.stderr
    no_traceback(done)
    [line] = done.stderr.splitlines()
    assert line.startswith("cdp run: ingestion stopped: member/points_ledger: writing ")
    assert str(env["warehouse"] / "build.duckdb") in line
    assert line.endswith(
        'IO Error: Could not write file "build.duckdb.wal": No space left on device'
    )


def test_a_full_disk_in_a_later_step_names_the_os_error(env, monkeypatch):
    """A step failing with an OS error of its own (here the inputs' quality gate, after
    ingestion) is reported by that error, not by Dagster's wrapper."""
    import orchestration.lib.quality_gate as gate

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/full/disk/file")

    with monkeypatch.context() as patch:
        patch.setattr(gate, "gate_window", full)
        done = cdp("run", "--as-of", LAST_DAY, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    no_traceback(done)
    assert "[Errno 28] No space left on device: '/full/disk/file'" in done.stderr


# -- defect 9: one run at a time per warehouse ------------------------------------------------


def children(pid: int) -> dict[int, str]:
    """The live child processes of `pid`: pid -> command line."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[1]) == pid:
            found[int(stat.parent.name)] = cmdline
    return found


def alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def dagster_runs(env) -> dict[str, str]:
    """run id -> status of every run in the test's Dagster home."""
    with dg.DagsterInstance.from_config(str(env["dagster"])) as instance:
        return {run.run_id: run.status.value for run in instance.get_runs()}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_one_run_at_a_time_and_a_killed_run_leaves_nothing_behind(env):
    """A second `cdp run` on the warehouse exits 2 at once naming the first one's pid; `kill
    -9` of the first kills its dbt child with it; the next run takes the stale lock over and
    marks the killed run's Dagster run failed."""
    first = subprocess.Popen(
        [*command.PROCESS, "run", "--as-of", LAST_DAY], env=environ(env),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        dbt = wait_for(
            lambda: [p for p, cmd in children(first.pid).items() if "dbt" in cmd and " build" in cmd],
            timeout=240, what="the first run's dbt build",
        )
        lock = env["warehouse"] / "run.lock"
        assert f'"pid": {first.pid}' in lock.read_text()

        started = time.monotonic()
        second = cdp("run", "--as-of", LAST_DAY, env=env)
        assert second.returncode == 2
        assert time.monotonic() - started < 30  # at once: no waiting, no ingestion
        [line] = second.stderr.splitlines()
        assert line.startswith(f"cdp run: the warehouse {env['warehouse']} is in use by pid {first.pid} ")
        assert f"cdp run --as-of {LAST_DAY}" in line
        assert "ingesting" not in second.stdout

        first.kill()
        first.wait(timeout=30)
        wait_for(lambda: not any(alive(p) for p in dbt), timeout=5, what="dbt to die with cdp")
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert "STARTED" in dagster_runs(env).values()  # left so by the killed cdp

    third = cdp("run", "--as-of", LAST_DAY, "--no-build", env=env)
    assert third.returncode == 0, third.stdout + third.stderr
    assert f"took over the stale lock of pid {first.pid}" in third.stdout
    assert "marked failed: Dagster run" in third.stdout
    statuses = dagster_runs(env)
    assert "STARTED" not in statuses.values() and "FAILURE" in statuses.values()
    assert lock.read_text() == ""  # released at the end


def test_a_stale_lock_file_is_taken_over(env):
    gone = subprocess.Popen(["true"])
    gone.wait()
    lock = env["warehouse"] / "run.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text(
        json.dumps({"pid": gone.pid, "command": "cdp run", "started_at": "2026-11-01T02:00:00+08:00"})
    )
    done = cdp("run", "--as-of", LAST_DAY, "--no-build", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        f"took over the stale lock of pid {gone.pid} (cdp run, started 2026-11-01T02:00:00+08:00): "
        "that process is gone"
    ) in done.stdout
    assert lock.read_text() == ""


def test_the_sensor_and_the_schedule_wait_while_a_cdp_run_holds_the_warehouse(env):
    from orchestration.defs.resources import LandingZone, Warehouse
    from orchestration.defs.schedules import nightly_at_two
    from orchestration.defs.sensors import new_extract_folder
    from orchestration.lib import run_lock

    resources = {
        "landing": LandingZone(landing_dir=str(env["landing"])),
        "warehouse": Warehouse(warehouse_dir=str(env["warehouse"])),
    }
    at_two = datetime(2026, 11, 1, 2, tzinfo=LOCAL_TIME_ZONE)
    with dg.instance_for_test() as instance:
        with run_lock.hold(env["warehouse"], "cdp run --as-of 2026-10-31", lambda _line: None):
            with dg.build_sensor_context(resources=resources, instance=instance) as context:
                waiting = new_extract_folder(context)
            with dg.build_schedule_context(
                resources=resources, instance=instance, scheduled_execution_time=at_two
            ) as tick:
                skipped = nightly_at_two(tick)
        assert isinstance(skipped, dg.SkipReason) and "in use by pid" in skipped.skip_message
        assert isinstance(waiting, dg.SkipReason)
        assert f"in use by pid {os.getpid()} (cdp run --as-of 2026-10-31, started " in waiting.skip_message
        with dg.build_sensor_context(resources=resources, instance=instance) as context:
            assert new_extract_folder(context).run_requests
