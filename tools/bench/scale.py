"""`cdp bench` (`make bench`): the whole nightly path at a retailer's scale, beside the
alternatives a team would otherwise use. docs/benchmark.md explains every figure.

For each size (customers) the disk can hold (estimated first: a size it cannot is reported
as not measured, and the benchmark goes on), on a landing zone of `days` extract dates
generated once and reused:

3. the full build: one `cdp run` as of the day before the last extract date over a fresh
   warehouse (the documented first-run path), as a child process: wall time, peak RSS of its
   process tree and the seconds per stage;
4. the nightly run: `cdp run` as of the last date on top, adding that one day: the same
   figures (the median of `repeats` runs, each from a copy of the full build's warehouse,
   when one takes under a minute and the disk has room for the copy), and the night's
   floors: DuckDB's own read of the night's files (ingestion's), the night's dbt SQL as
   one bare DuckDB script (`bare_sql`, dbt's), and the seconds DuckDB took to compute what
   the gate's GX suites validated in that same run (the gate's).

At the Spark sizes (100k by default) also, on the same landing zone: the full build and one
nightly run with `CDP_ENGINE=spark` (README "Running on Spark"), in a warehouse of their own,
with the same figures but the floors.

At the detail size (1M by default) also, on that same warehouse:

1. ingestion's rows/s in the full build beside DuckDB's own `read_csv`/`read_json` of the
   same files into a table;
2. the identity stitching step over the whole graph (`--full-refresh`: a night only stitches
   the customers it touched) beside SciPy's `connected_components` on the same edge list;
5. the RFM and lifecycle marts beside the same rules in plain pandas, both checked equal.

Results: `<results>/<date>.json` (one object per size) and `<results>/<date>.md`, a table
that is also printed; `<date>-<days>d.json` and `.md` for a history other than a year.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from importlib.metadata import version
from pathlib import Path

import duckdb

from tools.bench import HISTORY_DAYS, identity, marts
from tools.bench.bare_sql import bare_sql_seconds
from tools.bench.duckdb_read import duckdb_read
from tools.bench.process import measure
from tools.bench.stages import STAGES, gate_query_seconds, newest_run_spans, run_stages, step_at
from tools.generate import DEFAULT_END, generate
from cdp.settings import Settings
from ingestion import warehouse

DEFAULT_SIZES = (100_000, 1_000_000, 3_000_000)
DETAIL_SIZE = 1_000_000
SPARK_SIZES = (100_000,)
"""The sizes also measured on Spark: a single machine's cores favour DuckDB, and Spark's
fixed costs show at a size where DuckDB's run is short (docs/benchmark.md)."""
MEDIAN_BELOW_S = 60.0
"""A step that takes less than this is run `repeats` times and its median reported."""

Say = Callable[[str], None]


LANDING_BYTES_PER_CUSTOMER_DAY = 65
"""Landing-zone bytes per customer and extract date with weekly snapshots (22.35 GB for 1M
customers over a year, 17.57 GB for 3M over 90 days), of which SNAPSHOT_SHARE is the
snapshots (3M over a year: about 67 GB weekly, 37 GB with a snapshot every 28 days)."""
SNAPSHOT_SHARE = 0.6
WAREHOUSE_PER_LANDING = 1.0
"""A run's build database, published copy and files take about the disk of its landing
zone (20 GB for the 22.35 GB at 1M over a year) while the night rewrites its tables."""


class BenchFailed(RuntimeError):
    """A run of the benchmark did not succeed (its log names the cause)."""


class NoRoom(RuntimeError):
    """The disk cannot hold a size's landing zone and warehouse: it is not measured."""


def landing_bytes(customers: int, days: int, snapshot_every: int) -> int:
    """The estimated size of a generated landing zone (LANDING_BYTES_PER_CUSTOMER_DAY)."""
    share = 1 - SNAPSHOT_SHARE + SNAPSHOT_SHARE * 7 / snapshot_every
    return int(LANDING_BYTES_PER_CUSTOMER_DAY * share * customers * days)


def free_bytes(path: Path) -> int:
    """Free disk under `path`, or under its nearest existing parent."""
    while not path.exists():
        path = path.parent
    return shutil.disk_usage(path).free


@dataclass
class SizeResult:
    customers: int
    full_build_s: float
    nightly_s: float
    peak_rss_full_gb: float
    peak_rss_nightly_gb: float
    peak_rss_full_step: str | None
    """The Dagster step running at the full build's largest memory sample ("between steps"
    when none was: Dagster's start-up or bookkeeping)."""
    peak_rss_nightly_step: str | None
    full_build_stages: dict[str, float]
    nightly_stages: dict[str, float]
    nightly_runs: int
    landing: dict
    nightly_floors: dict[str, float] = field(default_factory=dict)
    """The floor of the night's `ingest`, `dbt` and `gate` stages (seconds; see the top)."""
    identity_s: float | None = None
    scipy_cc_s: float | None = None
    ingest_rows_per_s: float | None = None
    duckdb_read_rows_per_s: float | None = None
    marts_s: float | None = None
    pandas_marts_s: float | None = None
    spark_full_build_s: float | None = None
    spark_nightly_s: float | None = None
    spark_peak_rss_full_gb: float | None = None
    spark_peak_rss_nightly_gb: float | None = None
    spark_full_build_stages: dict[str, float] = field(default_factory=dict)
    spark_nightly_stages: dict[str, float] = field(default_factory=dict)
    detail: dict = field(default_factory=dict)
    machine: dict = field(default_factory=dict)


def _room_for_copy(run_dir: Path) -> bool:
    """Whether the disk holds a copy of the run's folder and still leaves the nightly run as
    much room again (a rebuilt table is written beside the old one, DuckDB spills past its
    memory limit). At 1M customers a copy did not fit on this machine's disk."""
    size = sum(p.stat().st_size for p in run_dir.rglob("*") if p.is_file() and not p.is_symlink())
    return shutil.disk_usage(run_dir).free > 3 * size


def machine() -> dict:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor() or "unknown",
    )
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1e6, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt_core": version("dbt-core"),
        "dagster": version("dagster"),
        "pandas": version("pandas"),
        "scipy": version("scipy"),
    }


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


@dataclass
class Bench:
    workdir: Path
    days: int
    seed: int
    snapshot_every: int
    repeats: int
    say: Say
    end: date = DEFAULT_END
    spark_sizes: frozenset[int] = frozenset()
    """The sizes also run with `CDP_ENGINE=spark`."""

    @property
    def last_date(self) -> date:
        return self.end

    @property
    def full_as_of(self) -> date:
        return self.end - timedelta(days=1)

    def _landing_path(self, customers: int) -> tuple[Path, bool]:
        """Where this size's landing zone is, and whether it is generated already."""
        name = f"landing-{customers}-{self.days}d-every{self.snapshot_every}-seed{self.seed}"
        path = self.workdir / name
        return path, (path / "member").exists()

    def landing(self, customers: int) -> tuple[Path, dict]:
        """The landing zone of this size, generated when absent."""
        path, generated = self._landing_path(customers)
        if not generated:
            self.say(f"generating {customers:,} customers x {self.days} days into {path}")
            generate(
                path, customers=customers, days=self.days, seed=self.seed, end=self.end,
                snapshot_every=self.snapshot_every, bad_row_rate=0.002, overwrite=True,
            )
        files = [p for p in path.rglob("*") if p.is_file()]
        info = {
            "path": str(path),
            "days": self.days,
            "snapshot_every": self.snapshot_every,
            "files": len(files),
            "gb": round(sum(p.stat().st_size for p in files) / 1e9, 2),
        }
        self.say(f"landing zone {path}: {info['files']:,} files, {info['gb']} GB")
        return path, info

    def _env(self, landing: Path, run_dir: Path, engine: str = "duckdb") -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "CDP_AS_OF")}
        env.update(
            CDP_ENGINE=engine,
            CDP_LANDING_DIR=str(landing),
            CDP_WAREHOUSE_DIR=str(run_dir / "warehouse"),
            DO_NOT_TRACK="1",
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
            GX_ANALYTICS_ENABLED="false",
            DAGSTER_DISABLE_TELEMETRY="1",
        )
        return env

    def cdp_run(
        self, landing: Path, run_dir: Path, as_of: date, label: str, engine: str = "duckdb"
    ):
        log = run_dir / f"{label}.log"
        measured = measure(
            [sys.executable, "-m", "orchestration.cli.main", "run", "--as-of", as_of.isoformat()],
            env=self._env(landing, run_dir, engine),
            log=log,
        )
        if measured.returncode != 0:
            said = [line for line in log.read_text(encoding="utf-8").splitlines()
                    if line.startswith("cdp run:")]
            raise BenchFailed(
                f"cdp run as of {as_of} exited {measured.returncode} ({'; '.join(said[:3])}): "
                f"see {log}"
            )
        run, spans = newest_run_spans(run_dir / "dagster")
        stages = run_stages(run, spans, run_dir / "warehouse", measured.seconds)
        gate_floor = gate_query_seconds(run_dir / "warehouse", run.run_id)
        peak_step = None
        if measured.peak_at_s is not None:
            peak_step = step_at(spans, measured.started_at + measured.peak_at_s) or "between steps"
        self.say(
            f"  {label}: {measured.seconds:.1f}s, peak RSS {measured.peak_rss_gb:.2f} GB"
            + (f" (at {measured.peak_at_s:.0f}s, {peak_step})" if peak_step else "")
            + " (" + ", ".join(f"{k} {v:.1f}s" for k, v in stages.items()) + ")"
        )
        return measured, stages, peak_step, gate_floor

    def check_room(self, customers: int) -> None:
        """Raise NoRoom unless the disk holds this size's landing zone (unless already
        generated) and its warehouse: a benchmark that fills the disk halfway through a run
        measures nothing."""
        landing = landing_bytes(customers, self.days, self.snapshot_every)
        _, generated = self._landing_path(customers)
        needed = landing * WAREHOUSE_PER_LANDING + (0 if generated else landing)
        free = free_bytes(self.workdir)
        if needed > free:
            raise NoRoom(
                f"{customers:,} customers over {self.days} days not measured: they need about "
                f"{needed / 1e9:,.0f} GB of disk ({'' if generated else 'the landing zone and '}"
                f"the warehouse), {free / 1e9:,.0f} GB free under {self.workdir}"
            )

    def size(self, customers: int, *, detail: bool) -> SizeResult:
        self.say(f"== {customers:,} customers ==")
        self.check_room(customers)
        landing, landing_info = self.landing(customers)
        run_dir = self.workdir / f"run-{customers}"
        base = self.workdir / f"run-{customers}.full"
        for folder in (run_dir, base):
            shutil.rmtree(folder, ignore_errors=True)
        run_dir.mkdir(parents=True)
        self.say(f"full build: cdp run as of {self.full_as_of} over {self.days - 1} extract dates")
        full, full_stages, full_peak_step, _ = self.cdp_run(
            landing, run_dir, self.full_as_of, "full-build"
        )
        copy = self.repeats > 1 and _room_for_copy(run_dir)
        if copy:
            shutil.copytree(run_dir, base, symlinks=True)
        elif self.repeats > 1:
            self.say("  no disk room for a copy of the warehouse: the nightly run is measured once")
        self.say(f"nightly run: cdp run as of {self.last_date}, one new extract date")
        nightly = []
        while True:
            nightly.append(self.cdp_run(landing, run_dir, self.last_date, f"nightly-{len(nightly) + 1}"))
            if not copy or len(nightly) >= self.repeats or nightly[0][0].seconds >= MEDIAN_BELOW_S:
                break
            shutil.rmtree(run_dir)
            shutil.copytree(base, run_dir, symlinks=True)
        shutil.rmtree(base, ignore_errors=True)
        highest = max(nightly, key=lambda run: run[0].peak_rss_bytes)
        floors = self.nightly_floors(landing, run_dir)
        floors["gate"] = _median([gate for *_, gate in nightly])
        result = SizeResult(
            customers=customers,
            full_build_s=round(full.seconds, 1),
            nightly_s=round(_median([m.seconds for m, *_ in nightly]), 1),
            peak_rss_full_gb=round(full.peak_rss_gb, 2),
            peak_rss_nightly_gb=round(highest[0].peak_rss_gb, 2),
            peak_rss_full_step=full_peak_step,
            peak_rss_nightly_step=highest[2],
            full_build_stages=full_stages,
            nightly_stages={s: _median([st[s] for _, st, *_ in nightly]) for s in STAGES},
            nightly_runs=len(nightly),
            landing=landing_info,
            nightly_floors=floors,
            machine=machine(),
        )
        if detail:
            self.details(result, landing, run_dir)
        shutil.rmtree(run_dir)
        if customers in self.spark_sizes:
            self.on_spark(result, landing)
        return result

    def on_spark(self, result: SizeResult, landing: Path) -> None:
        """The full build and one nightly run with `CDP_ENGINE=spark`, in a warehouse of
        their own (a night rebuilds Spark's tables in full: measured once)."""
        run_dir = self.workdir / f"run-{result.customers}-spark"
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)
        self.say(f"on Spark: full build as of {self.full_as_of}, then the nightly run")
        full, full_stages, *_ = self.cdp_run(
            landing, run_dir, self.full_as_of, "spark-full-build", engine="spark"
        )
        nightly, nightly_stages, *_ = self.cdp_run(
            landing, run_dir, self.last_date, "spark-nightly", engine="spark"
        )
        result.spark_full_build_s = round(full.seconds, 1)
        result.spark_nightly_s = round(nightly.seconds, 1)
        result.spark_peak_rss_full_gb = round(full.peak_rss_gb, 2)
        result.spark_peak_rss_nightly_gb = round(nightly.peak_rss_gb, 2)
        result.spark_full_build_stages = full_stages
        result.spark_nightly_stages = nightly_stages
        shutil.rmtree(run_dir)

    def nightly_floors(self, landing: Path, run_dir: Path) -> dict[str, float]:
        """The floors of the night's ingestion and dbt build (see the top), on the night's
        warehouse before anything else runs on it."""
        warehouse_dir = run_dir / "warehouse"
        settings = Settings.from_env(self._env(landing, run_dir))
        self.say("the night's floors: DuckDB's read of its files, its dbt SQL as a bare script")
        _, read_s = duckdb_read(
            landing, self.workdir / "duckdb-read.duckdb", as_of=self.last_date,
            only=self.last_date, threads=settings.threads, memory_limit=settings.memory_limit,
        )
        models, sql_s = bare_sql_seconds(
            warehouse_dir, warehouse.build_database(warehouse_dir),
            threads=settings.threads, memory_limit=settings.memory_limit,
        )
        self.say(f"  read {read_s:.1f}s; {models} SQL models as one script {sql_s:.1f}s")
        return {"ingest": round(read_s, 2), "dbt": round(sql_s, 2)}

    def details(self, result: SizeResult, landing: Path, run_dir: Path) -> None:
        warehouse_dir = run_dir / "warehouse"
        database = warehouse.build_database(warehouse_dir)
        os.environ.update(self._env(landing, run_dir))
        settings = Settings.from_env()

        rows = self._loaded_rows(database, self.full_as_of)
        result.ingest_rows_per_s = round(rows / result.full_build_stages["ingest"])
        self.say(f"duckdb read_csv/read_json of the same files ({rows:,} rows) into tables")
        result.duckdb_read_rows_per_s = round(self._repeat(
            lambda: duckdb_read(
                landing, self.workdir / "duckdb-read.duckdb", as_of=self.full_as_of,
                threads=settings.threads,
                memory_limit=settings.memory_limit,
            )
        ))
        self.say(f"  ingestion {result.ingest_rows_per_s:,} rows/s, "
                 f"duckdb {result.duckdb_read_rows_per_s:,} rows/s")

        self.say("identity stitching beside scipy connected_components (same edge list)")
        scipy_runs, ours_runs = [], []
        for attempt in range(self.repeats):
            with duckdb.connect(str(database)) as conn:
                seconds, nodes, edges, components = identity.scipy_seconds(conn)
            scipy_runs.append(seconds)
            timings = identity.stitch_whole_graph(warehouse_dir, self.last_date.isoformat())
            ours_runs.append(sum(timings[name] for name in identity.STITCHING_MODELS))
            self.say(f"  run {attempt + 1}: scipy {seconds:.2f}s, ours {ours_runs[-1]:.2f}s")
        result.scipy_cc_s, result.identity_s = _median(scipy_runs), _median(ours_runs)
        result.detail["identity_graph"] = {"nodes": nodes, "edges": edges, "components": components}

        self.say("RFM + lifecycle marts beside the same rules in pandas")
        rules = marts.rule_vars()
        mart_runs, pandas_runs = [], []
        for attempt in range(self.repeats):
            timings = identity.dbt_run(
                ["run", "--select", *marts.MART_MODELS], warehouse_dir, self.last_date.isoformat()
            )
            mart_runs.append(sum(timings[name] for name in marts.MART_MODELS))
            with duckdb.connect(str(database)) as conn:
                seconds, (rfm, lifecycle) = marts.timed(conn, self.last_date, rules)
                problems = marts.compare(conn, rfm, lifecycle) if attempt == 0 else []
            if problems:
                raise BenchFailed("pandas and the marts disagree: " + "; ".join(problems))
            pandas_runs.append(seconds)
            self.say(f"  run {attempt + 1}: marts {mart_runs[-1]:.2f}s, pandas {seconds:.2f}s")
        result.marts_s, result.pandas_marts_s = _median(mart_runs), _median(pandas_runs)

    def _repeat(self, step: Callable[[], tuple[int, float]]) -> float:
        """The median rows/s of `step` (rows, seconds), run again while under a minute."""
        runs = [step()]
        while len(runs) < self.repeats and runs[0][1] < MEDIAN_BELOW_S:
            runs.append(step())
        return statistics.median(rows / seconds for rows, seconds in runs)

    @staticmethod
    def _loaded_rows(database: Path, as_of: date) -> int:
        """The rows the full build ingested (the nightly run has added a day since)."""
        with duckdb.connect(str(database)) as conn:
            return conn.execute(
                "select sum(rows_loaded + rows_quarantined) from raw._loads where extract_date <= ?",
                [as_of],
            ).fetchone()[0]


TABLE_ROWS = (
    ("customers", "customers", "{:,}"),
    ("full build (s)", "full_build_s", "{:,.1f}"),
    ("nightly run (s)", "nightly_s", "{:,.1f}"),
    ("peak RSS full build (GB)", "peak_rss_full_gb", "{:.2f}"),
    ("peak RSS nightly (GB)", "peak_rss_nightly_gb", "{:.2f}"),
    ("peak RSS full build during", "peak_rss_full_step", "{}"),
    ("peak RSS nightly during", "peak_rss_nightly_step", "{}"),
    ("identity stitching (s)", "identity_s", "{:.2f}"),
    ("scipy connected_components (s)", "scipy_cc_s", "{:.2f}"),
    ("ingest (rows/s)", "ingest_rows_per_s", "{:,.0f}"),
    ("duckdb read_csv/read_json (rows/s)", "duckdb_read_rows_per_s", "{:,.0f}"),
    ("RFM + lifecycle marts (s)", "marts_s", "{:.2f}"),
    ("same in pandas (s)", "pandas_marts_s", "{:.2f}"),
    ("full build on Spark (s)", "spark_full_build_s", "{:,.1f}"),
    ("nightly run on Spark (s)", "spark_nightly_s", "{:,.1f}"),
    ("peak RSS full build on Spark (GB)", "spark_peak_rss_full_gb", "{:.2f}"),
    ("peak RSS nightly on Spark (GB)", "spark_peak_rss_nightly_gb", "{:.2f}"),
)


FLOORS = {
    "ingest": "DuckDB's read of the night's files",
    "dbt": "its SQL models as one bare DuckDB script",
    "gate": "DuckDB computing what GX validates",
}


def markdown(results: list[SizeResult], not_measured: Sequence[str] = ()) -> str:
    def cell(value, fmt: str) -> str:
        return "—" if value is None else fmt.format(value)

    sizes = [asdict(r) for r in results]
    lines = ["| | " + " | ".join(f"{s['customers']:,}" for s in sizes) + " |",
             "|---|" + "---:|" * len(sizes)]
    on_spark = any(s["spark_full_build_s"] is not None for s in sizes)
    for label, key, fmt in TABLE_ROWS[1:]:
        if key.startswith("spark_") and not on_spark:
            continue
        lines.append(f"| {label} | " + " | ".join(cell(s[key], fmt) for s in sizes) + " |")
    for stage in STAGES:
        lines.append(
            f"| nightly: {stage} (s) | "
            + " | ".join(f"{s['nightly_stages'][stage]:.1f}" for s in sizes) + " |"
        )
    for stage in STAGES:
        if on_spark:
            lines.append(
                f"| nightly on Spark: {stage} (s) | "
                + " | ".join(cell(s["spark_nightly_stages"].get(stage), "{:.1f}") for s in sizes)
                + " |"
            )
    for stage, floor in FLOORS.items():
        lines.append(
            f"| nightly floor: {stage}, {floor} (s) | "
            + " | ".join(cell(s["nightly_floors"].get(stage), "{:.1f}") for s in sizes) + " |"
        )
    m = results[0].machine
    lines.append("")
    lines.append(f"History: {results[0].landing['days']} days of extracts, a full snapshot every "
                 f"{results[0].landing['snapshot_every']} days.")
    lines.append(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['os']}; "
                 f"Python {m['python']}, DuckDB {m['duckdb']}, dbt-core {m['dbt_core']}, "
                 f"Dagster {m['dagster']}.")
    lines += [f"{reason}." for reason in not_measured]
    return "\n".join(lines) + "\n"


def write_results(
    results: list[SizeResult], folder: Path, day: date, not_measured: Sequence[str] = ()
) -> tuple[Path, Path]:
    """`<date>.json` and `.md`; `<date>-<days>d.*` when the history is not a year, so such a
    run never overwrites the day's figures over a year. The table ends with the sizes not
    measured and why (the JSON holds the measured ones)."""
    folder.mkdir(parents=True, exist_ok=True)
    days = results[0].landing["days"]
    stem = day.isoformat() if days == HISTORY_DAYS else f"{day.isoformat()}-{days}d"
    data, table = folder / f"{stem}.json", folder / f"{stem}.md"
    data.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n", encoding="utf-8")
    table.write_text(markdown(results, not_measured), encoding="utf-8")
    return data, table
