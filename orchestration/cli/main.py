"""The `cdp` command: a thin layer over the Dagster definitions (never a second orchestrator).

Exit codes: 0 done; 1 the quality gate refused to publish (one line per failed expectation,
naming table and expectation), the dbt build failed (a model error or a failing test, one
line each), the dbt project does not parse, or WeCom refused part of a sync or a push; 2 bad
usage, bad settings, an unreadable extract, or the warehouse in use by another run (one line,
no traceback).

`cdp run`, `cdp backfill` and `cdp demo` hold the warehouse's run lock (orchestration/lib/run_lock.py) for
their whole run: a second one on the same warehouse exits 2 at once naming the holder's pid.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

from orchestration.lib import run_lock
from tools.bench import HISTORY_DAYS
from cdp.garbage_collection import collect_less_often
from cdp.settings import LOCAL_TIME_ZONE, Settings, SettingsError, parse_date
from orchestration.cli import sync_wecom as wecom_command
from orchestration.cli.dagster_home import prepare_dagster_home
from orchestration.cli import push_actions as push_command
from orchestration.dbt_manifest import ManifestError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
NEEDS_DBT_MANIFEST = {"run", "backfill", "demo", "ui", "bench"}
"""Commands that load the Dagster definitions, which read dbt_project/target/manifest.json."""
HOLDS_RUN_LOCK = {"run", "backfill", "demo"}
"""Commands that run the nightly job: one at a time per warehouse (orchestration/lib/run_lock.py)."""
DUCKDB_ONLY = {"demo"}
"""Commands refused with `CDP_ENGINE=spark`: the demo's engine is DuckDB."""

DEMO_CUSTOMERS = 3_000
DEMO_DAYS = 450
"""Fifteen months: the demo's first publish already has a year of spend behind it, so the
spend leaving the 365-day window moves tiers down between its publishes (README question 3),
and the dormant customers about to churn (181 days) are there (question 2)."""
DEMO_SEED = 42


class UsageError(Exception):
    """An expected failure: printed as one line, exit 2."""


def say(line: str) -> None:
    print(line, flush=True)


def _date_arg(value: str) -> date:
    try:
        return parse_date(value, "date")
    except SettingsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _sizes_arg(value: str) -> list[int]:
    return [_positive(part.strip().replace("_", "")) for part in value.split(",")]


def _spark_sizes_arg(value: str) -> list[int]:
    return [] if value.strip() == "none" else _sizes_arg(value)


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return int(value)


def _prepare_environment(settings: Settings) -> None:
    """Telemetry off everywhere; the Dagster home `cdp run` and `cdp ui` share
    (orchestration/cli/run.py)."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    prepare_dagster_home(settings)


def _prepare_dbt_manifest() -> None:
    """`dbt parse` when the manifest is missing or older than the dbt project's files."""
    from orchestration.dbt_manifest import prepare_manifest

    prepare_manifest(say=say)


def cmd_generate(args: argparse.Namespace, settings: Settings) -> int:
    from tools.generate import generate

    out = Path(args.out) if args.out else settings.landing_dir
    say(f"generating {args.customers:,} customers x {args.days} days (seed {args.seed}) into {out}")
    try:
        generate(
            out,
            customers=args.customers,
            days=args.days,
            seed=args.seed,
            overwrite=args.overwrite,
            snapshot_every=args.snapshot_every,
            bad_row_rate=args.bad_row_rate,
            progress=say,
            **({"end": args.end} if args.end else {}),
        )
    except FileExistsError:
        raise UsageError(f"{out} is not empty: pass --overwrite to replace it") from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return EXIT_OK


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from orchestration.cli.run import run_nightly

    as_of = args.as_of or settings.as_of
    return run_nightly(
        settings,
        as_of=as_of,
        reload=args.reload or [],
        say=say,
        build=not args.no_build,
        dbt_vars=_checked_vars(args.vars),
    )


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    """`cdp run` for each date from --from to --to in order; stops at the first date that does
    not publish (its exit code), since a later date would build on a gap."""
    from orchestration.cli.run import run_nightly

    if args.to < args.from_:
        raise UsageError(f"--to {args.to} is before --from {args.from_}")
    dbt_vars = _checked_vars(args.vars)
    days = [args.from_ + timedelta(days=n) for n in range((args.to - args.from_).days + 1)]
    say(f"backfill {days[0]} .. {days[-1]}: {len(days)} nightly run(s), one per date")
    done: list[date] = []
    for number, day in enumerate(days, start=1):
        say(f"[{number}/{len(days)}] cdp run --as-of {day}")
        code = run_nightly(settings, as_of=day, reload=[], say=say, dbt_vars=dbt_vars)
        if code != EXIT_OK:
            say(
                f"backfill stopped at {day} (exit {code}); published through "
                f"{done[-1] if done else 'none of the dates'}; rerun from {day} once it is fixed"
            )
            return code
        done.append(day)
    say(f"backfill done: {len(done)} date(s) published, {days[0]} .. {days[-1]}")
    return EXIT_OK


def _vars_arg(value: str) -> str:
    """A YAML or JSON mapping of dbt vars, checked here so a typo is bad usage (exit 2)."""
    if not value.strip():
        return ""
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        raise argparse.ArgumentTypeError(f"{value!r} is not YAML or JSON") from None
    if not isinstance(parsed, dict):
        raise argparse.ArgumentTypeError(f"{value!r} is not a mapping of dbt var names to values")
    return value


def _checked_vars(value: str) -> str:
    """`--vars` whose names and values dbt_project.yml knows, else bad usage (exit 2)."""
    from orchestration.dbt_vars import problem

    wrong = problem(yaml.safe_load(value) or {}) if value else None
    if wrong:
        raise UsageError(f"--vars: {wrong}")
    return value


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from tools.generate import generate
    from ingestion.loader import discover

    landing = settings.landing_dir
    if not discover(landing):
        say(f"no extracts under {landing}: generating the sample landing zone")
        generate(landing, customers=DEMO_CUSTOMERS, days=DEMO_DAYS, seed=DEMO_SEED, progress=say)
    from orchestration.cli.run import run_nightly

    dates = sorted({f.extract_date for f in discover(landing)})
    nights = demo_nights(dates[0], dates[-1])
    for number, as_of in enumerate(nights, start=1):
        why = "the newest extract folder" if as_of == dates[-1] else "history for the report"
        say(f"demo night {number} of {len(nights)}: the nightly job as of {as_of} ({why})")
        code = run_nightly(settings, as_of=as_of, reload=[], say=say)
        if code != EXIT_OK:
            break
    say(f"landing zone: {landing}")
    say(f"build database (work area, not for BI tools): {settings.warehouse_dir / 'build.duckdb'}")
    from cdp import publish

    published = publish.database_path(settings.warehouse_dir)
    shell = Path(sys.executable).with_name("duckdb")  # duckdb-cli, installed with the project
    if published.exists():
        say(f"for analysts and BI tools: {shell} -readonly {published}")
    else:  # CDP_PUBLISH_DATABASE=no
        folder = publish.folder_path(settings.warehouse_dir)
        say(f"for analysts and BI tools: the Parquet files in {folder}/")
    say("explore it in the Dagster UI: cdp ui")
    from cdp.report import index_path

    report = index_path(settings.warehouse_dir)
    if report.exists():  # the publish wrote it: the last line, the page to open first
        say(f"operations report (opens offline): {report}")
    return code


def demo_nights(first: date, last: date) -> list[date]:
    """The as-of dates the demo publishes: the newest extract date, and before it, when the
    landing zone holds more than a year before them, the last day of the month before last
    and of last month. Tier moves, tier history, last month's downgrades, the lifecycle over
    runs and the outcomes of actions 14 days old need publishes of their own; three nights
    give each of them rows without a night per day."""
    end_of_last_month = last.replace(day=1) - timedelta(days=1)
    end_of_month_before = end_of_last_month.replace(day=1) - timedelta(days=1)
    if (end_of_month_before - first).days < 365:
        return [last]
    return [end_of_month_before, end_of_last_month, last]


UI_PORT = 3000
"""`dagster dev`'s port unless `--port` says otherwise."""


WORKSPACE = {
    "load_from": [
        {"python_module": {"module_name": "orchestration.definitions", "location_name": "cdp"}}
    ]
}
"""`dagster dev`'s workspace: the definitions as the code location `cdp`, the name
pyproject.toml gives them (`dagster dev -m` would name it after the module, and Dagster
warns on every load that the project's name differs)."""


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    workspace = Path(os.environ["DAGSTER_HOME"]) / "workspace.yaml"
    workspace.write_text(yaml.safe_dump(WORKSPACE, sort_keys=False), encoding="utf-8")
    command = [sys.executable, "-m", "dagster", "dev", "-w", str(workspace)]
    if args.port:
        command += ["--port", str(args.port)]
    say(
        f"starting the Dagster UI on http://127.0.0.1:{args.port or UI_PORT} "
        f"(DAGSTER_HOME={os.environ['DAGSTER_HOME']}); Ctrl-C stops it"
    )
    os.execv(sys.executable, command)
    return EXIT_OK


def cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    """dbt's documentation of the models as one offline page, `<warehouse>/docs/index.html`
    (`dbt docs generate --static`, an empty catalog: no database is opened)."""
    import subprocess
    import tempfile
    import webbrowser

    from orchestration.dbt_manifest import (
        PARTIAL_PARSE,
        PROJECT_DIR,
        dbt_executable,
        seed_partial_parse,
    )

    target = (settings.warehouse_dir / "docs" / "dbt-target").resolve()  # not the project's
    say("building the models' documentation (dbt docs generate --static)")
    # dbt's compile opens the profile's database: a throwaway one, never the build database,
    # which a running `cdp run` may hold (DuckDB allows one writer per file). The last
    # run's partial parse names its own throwaway database: the project's replaces it.
    with tempfile.TemporaryDirectory() as scratch:
        environment = {**os.environ, "CDP_WAREHOUSE_DIR": scratch}
        (target / PARTIAL_PARSE).unlink(missing_ok=True)
        seed_partial_parse(target, environment)
        done = subprocess.run(
            [dbt_executable(), "--quiet", "docs", "generate", "--static", "--empty-catalog",
             "--target-path", str(target), "--project-dir", str(PROJECT_DIR),
             "--profiles-dir", str(PROJECT_DIR)],
            capture_output=True, text=True, check=False, env=environment,
        )
    if done.returncode != 0:
        lines = [" ".join(line.split()) for line in (done.stdout + done.stderr).splitlines()]
        first = " / ".join([line for line in lines if line][:3]) or "no output"
        raise UsageError(f"dbt docs generate failed: {first}")
    page = settings.warehouse_dir / "docs" / "index.html"
    os.replace(target / "static_index.html", page)
    say(str(page.resolve()))
    if args.open and not webbrowser.open(page.resolve().as_uri()):
        say("no browser to open it with: open the path above")
    return EXIT_OK


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """The path of the current operations report (docs/report.md); `--open` shows it."""
    import webbrowser

    from cdp.report import index_path

    path = index_path(settings.warehouse_dir).resolve()
    if not path.exists():
        raise UsageError(
            f"no report yet in {path.parent}: every publish writes one (cdp demo, cdp run)"
        )
    say(str(path))
    if args.open and not webbrowser.open(path.as_uri()):
        say("no browser to open it with: open the path above")
    return EXIT_OK


def cmd_compare(args: argparse.Namespace, settings: Settings) -> int:
    """Two warehouses' current publishes, table by table and row for row (cdp/compare.py): exit
    0 when every table holds the same rows, 1 when one differs."""
    from cdp.compare import compare_published
    from cdp.publish import read_manifest

    folders = {"A": Path(args.first), "B": Path(args.second)}
    for label, folder in folders.items():
        manifest = read_manifest(folder)
        if manifest is None:
            raise UsageError(f"nothing published in {folder}: run `cdp run` there first")
        say(f"{label}: {folder} (published as of {manifest['as_of_date']})")
    compared = differ = 0
    for found in compare_published(folders["A"], folders["B"]):
        compared += 1
        table = found.table.removeprefix("main.")
        if found.difference is None:
            say(f"  {table:28} {found.rows:>10,} rows, the same in both")
        else:
            differ += 1
            say(f"  {table:28} DIFFERS: {found.difference.removeprefix('main.')}")
    say(f"{compared - differ} of {compared} published tables hold the same rows in A and B")
    return EXIT_OK if differ == 0 else EXIT_FAILED


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from tools.bench.scale import (
        DEFAULT_SIZES,
        DETAIL_SIZE,
        SPARK_SIZES,
        Bench,
        BenchFailed,
        NoRoom,
        write_results,
    )

    sizes = sorted(set(args.sizes or DEFAULT_SIZES))
    detail = args.detail or (sizes[0] if len(sizes) == 1 else DETAIL_SIZE)
    workdir = Path(args.bench_workdir) if args.bench_workdir else settings.warehouse_dir.parent / "bench"
    bench = Bench(
        workdir=workdir.resolve(), days=args.history_days, seed=1,
        snapshot_every=args.snapshot_every, repeats=args.bench_repeats, say=say,
        spark_sizes=frozenset(args.spark_sizes if args.spark_sizes is not None else SPARK_SIZES),
    )
    say(f"benchmark of the nightly path: {', '.join(f'{n:,}' for n in sizes)} customers, "
        f"{args.history_days} days of extracts, details at {detail:,}; work in {workdir}")
    results, not_measured = [], []
    day = datetime.now(LOCAL_TIME_ZONE).date()
    try:
        for customers in sizes:
            try:
                results.append(bench.size(customers, detail=customers == detail))
            except NoRoom as exc:
                say(f"  {exc}")
                not_measured.append(str(exc))
            if results:
                # Written after every size: the smaller sizes' figures survive a failed larger one.
                data, table = write_results(results, Path(args.results), day, not_measured)
    except BenchFailed as exc:
        print(f"cdp bench: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if not results:
        print(f"cdp bench: no size measured: {'; '.join(not_measured)}", file=sys.stderr)
        return EXIT_FAILED
    for line in table.read_text(encoding="utf-8").splitlines():
        say(line)
    say(f"results: {data} and {table}")
    return EXIT_OK


def cmd_bench_identity(args: argparse.Namespace, settings: Settings) -> int:
    from tools.bench.identity import bench_identity

    workdir = Path(args.workdir) if args.workdir else settings.warehouse_dir.parent / "bench"
    say(f"identity stitching benchmark: {args.customers:,} customers, {args.repeats} timed runs")
    result = bench_identity(
        args.customers, workdir=workdir, days=args.days, seed=args.seed, repeats=args.repeats,
        say=say,
    )
    for line in result.lines():
        say(line)
    return EXIT_OK


def cmd_bench_model(args: argparse.Namespace, settings: Settings) -> int:
    from tools.bench.purchase_model import bench_model

    say(f"purchase model benchmark: {args.customers:,} simulated customers, fit and predict")
    result = bench_model(args.customers, seed=args.seed, say=say)
    for line in result.lines():
        say(line)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cdp",
        description="Customer data platform for private-domain retail (WeChat mini-program, "
        "WeCom, member/POS). Settings come from the environment or a .env file.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo", help="generate the sample extracts (if absent) and run the nightly job on them"
    )
    demo.set_defaults(handler=cmd_demo)

    generate = commands.add_parser(
        "generate", help="write realistic synthetic extracts for all three sources"
    )
    generate.add_argument("--customers", type=_positive, default=DEMO_CUSTOMERS)
    generate.add_argument("--days", type=_positive, default=DEMO_DAYS)
    generate.add_argument("--seed", type=int, default=DEMO_SEED)
    generate.add_argument("--out", help="landing directory (default: CDP_LANDING_DIR)")
    generate.add_argument(
        "--end", type=_date_arg, help="last extract date (default: a fixed date, so the output "
        "depends only on the arguments)"
    )
    generate.add_argument(
        "--overwrite", action="store_true", help="replace an existing landing zone in --out"
    )
    generate.add_argument(
        "--snapshot-every", type=_positive, default=7, metavar="DAYS",
        help="days between full snapshots of users, contacts and members (default 7; the first "
        "and last day always have one)",
    )
    generate.add_argument(
        "--bad-row-rate", type=float, default=0.002, metavar="RATE",
        help="share of rows written broken on purpose, to exercise the quarantine (default 0.002)",
    )
    generate.set_defaults(handler=cmd_generate)

    run = commands.add_parser(
        "run", help="the nightly job: ingest every extract folder <= the as-of date not yet loaded, "
        "build every model and test, fit the purchase model, run the quality gate and publish; "
        "exit 0 published, 1 the gate refused (or the build failed), 2 bad usage or input"
    )
    run.add_argument("--as-of", type=_date_arg, help="local date D (default: CDP_AS_OF or today)")
    run.add_argument(
        "--reload",
        type=_date_arg,
        action="append",
        metavar="DATE",
        help="load that extract date's files again, replacing its rows (repeatable)",
    )
    run.add_argument(
        "--vars",
        type=_vars_arg,
        default="",
        metavar="MAPPING",
        help="dbt vars for this run over dbt_project.yml's, e.g. '{tier_silver_from: 600}' "
        "(docs/rules.md names every threshold)",
    )
    run.add_argument(
        "--no-build",
        action="store_true",
        help="only ingest; leave the dbt models as they are (e.g. to catch up on many dates, "
        "then build once)",
    )
    run.set_defaults(handler=cmd_run)

    backfill = commands.add_parser(
        "backfill",
        help="cdp run for each date from --from to --to in order (the nightly path, day by "
        "day); stops at the first date that does not publish",
    )
    backfill.add_argument(
        "--from", dest="from_", type=_date_arg, required=True, metavar="DATE",
        help="first as-of date (YYYY-MM-DD)",
    )
    backfill.add_argument(
        "--to", type=_date_arg, required=True, metavar="DATE", help="last as-of date, included"
    )
    backfill.add_argument(
        "--vars", type=_vars_arg, default="", metavar="MAPPING", help="dbt vars, as for cdp run"
    )
    backfill.set_defaults(handler=cmd_backfill)

    wecom_command.add_parser(commands)
    push_command.add_parser(commands)

    bench = commands.add_parser(
        "bench",
        help="benchmarks that print figures (without a BENCHMARK: the whole nightly path at "
        "100k, 1M and 3M customers, as `make bench` runs it)",
    )
    bench.add_argument(
        "--customers", dest="sizes", type=_sizes_arg, default=None, metavar="N[,N...]",
        help="sizes to measure, in customers (default 100000,1000000,3000000)",
    )
    bench.add_argument(
        "--detail", type=_positive, default=None, metavar="N",
        help="the size also measured against DuckDB's reader, SciPy and pandas (default "
        "1000000, or the only size given)",
    )
    bench.add_argument(
        "--spark", dest="spark_sizes", type=_spark_sizes_arg, default=None, metavar="N[,N...]",
        help="the sizes also run with CDP_ENGINE=spark when measured (default 100000; `none`)",
    )
    bench.add_argument(
        "--days", dest="history_days", type=_positive, default=HISTORY_DAYS, metavar="N",
        help="days of extracts (default 365)",
    )
    bench.add_argument(
        "--snapshot-every", type=_positive, default=7, metavar="DAYS",
        help="days between full snapshots in the generated extracts (default 7)",
    )
    bench.add_argument(
        "--repeats", dest="bench_repeats", type=_positive, default=3, metavar="N",
        help="runs of a step that takes under a minute; the median is reported (default 3)",
    )
    bench.add_argument(
        "--workdir", dest="bench_workdir", metavar="DIR",
        help="where landing zones are generated and reused and runs are made "
        "(default: <CDP_WAREHOUSE_DIR>/../bench)",
    )
    bench.add_argument(
        "--results", default="bench/results", metavar="DIR",
        help="folder of the <date>.json and <date>.md results (default bench/results)",
    )
    bench.set_defaults(handler=cmd_bench)
    benches = bench.add_subparsers(dest="bench", metavar="BENCHMARK")
    identity = benches.add_parser(
        "identity",
        help="the identity stitching step (edges in, customer ids out) beside SciPy's "
        "connected_components on the same edge list",
    )
    identity.add_argument("--customers", type=_positive, default=100_000)
    identity.add_argument(
        "--days", type=_positive, default=7, help="days of extracts to generate (default 7)"
    )
    identity.add_argument("--seed", type=int, default=1)
    identity.add_argument(
        "--repeats", type=_positive, default=3, help="timed runs; the medians are printed"
    )
    identity.add_argument(
        "--workdir", help="where landing zones and warehouses are generated and reused "
        "(default: <CDP_WAREHOUSE_DIR>/../bench)"
    )
    identity.set_defaults(handler=cmd_bench_identity)
    purchase_model = benches.add_parser(
        "model",
        help="the purchase model step (BG/NBD and Gamma-Gamma fits, then predictions) on "
        "customers simulated from known parameters",
    )
    purchase_model.add_argument(
        "--customers", type=_positive, default=1_000_000, help="default 1,000,000"
    )
    purchase_model.add_argument("--seed", type=int, default=1)
    purchase_model.set_defaults(handler=cmd_bench_model)

    compare = commands.add_parser(
        "compare", help="compare two warehouses' current publishes table by table, row for "
        "row (e.g. a run with CDP_ENGINE=spark against DuckDB's on the same extracts); exit 1 "
        "when a table differs"
    )
    compare.add_argument("first", metavar="WAREHOUSE_A", help="a warehouse folder (CDP_WAREHOUSE_DIR)")
    compare.add_argument("second", metavar="WAREHOUSE_B", help="another warehouse folder")
    compare.set_defaults(handler=cmd_compare)

    report = commands.add_parser(
        "report", help="print the path of the operations report of the last publish (an "
        "offline HTML page); exit 2 when no publish wrote one yet"
    )
    report.add_argument("--open", action="store_true", help="open it in the web browser")
    report.set_defaults(handler=cmd_report)

    docs = commands.add_parser(
        "docs", help="build dbt's documentation of the models as one offline page "
        "(<warehouse>/docs/index.html) and print its path"
    )
    docs.add_argument("--open", action="store_true", help="open it in the web browser")
    docs.set_defaults(handler=cmd_docs)

    ui = commands.add_parser("ui", help="start the Dagster UI (dagster dev) on this project")
    ui.add_argument("--port", type=int)
    ui.set_defaults(handler=cmd_ui)
    return parser


def _hold_run_lock(stack: ExitStack, settings: Settings, argv: Sequence[str]) -> None:
    """Take the warehouse's run lock for the command (WarehouseInUse when another run holds
    it); then mark failed the Dagster runs a killed run left behind, and make the dbt
    processes of this run die with it."""
    command = shlex.join(["cdp", *argv])
    stack.enter_context(run_lock.hold(settings.warehouse_dir, command, say))
    run_lock.fail_orphaned_runs(settings.warehouse_dir, say)
    run_lock.children_die_with_this_process()


def main(argv: Sequence[str] | None = None) -> int:
    collect_less_often()  # cdp/garbage_collection.py
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    try:
        settings = Settings.from_env()
        _prepare_environment(settings)
        if args.command in DUCKDB_ONLY and settings.engine.engine != "duckdb":
            raise UsageError(
                f"CDP_ENGINE={settings.engine.engine}: `cdp {args.command}` runs on DuckDB only "
                "(the demo's engine; README \"Running on Spark\"): use `cdp run`"
            )
        if args.command in {"run", "backfill"} and settings.engine.dbt_target == "thrift":
            raise UsageError(
                f"CDP_SPARK_HOST={settings.engine.spark_host}: `cdp {args.command}` runs on a local Spark "
                "session only (the Python models cannot run through a Thrift Server, and the "
                "gate reads Spark's files on this machine); README \"Running on Spark\" shows "
                "how to build the SQL models on a cluster"
            )
        with ExitStack() as stack:
            if args.command in HOLDS_RUN_LOCK:
                _hold_run_lock(stack, settings, argv)
            if args.command in NEEDS_DBT_MANIFEST:
                _prepare_dbt_manifest()
            code = args.handler(args, settings)
    except run_lock.WarehouseInUse as exc:
        print(f"cdp {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (UsageError, SettingsError) as exc:
        print(f"cdp {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ManifestError as exc:
        print(f"cdp {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # the machine refused: a full disk, a permission; names the file
        print(f"cdp {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"cdp {args.command}: interrupted", file=sys.stderr)
        return 130
    if args.command not in {"ui", "report"}:  # `cdp report` prints only the path
        say(f"cdp {args.command}: finished in {time.perf_counter() - started:.1f}s (exit {code})")
    return code


if __name__ == "__main__":
    sys.exit(main())
