"""Settings: environment variables (a `.env` file in the working directory may hold them).

| variable | default | meaning |
| --- | --- | --- |
| `CDP_LANDING_DIR` | `data/landing` | where the source systems drop their extracts |
| `CDP_WAREHOUSE_DIR` | `data/warehouse` | the build database and (later) the published files |
| `CDP_AS_OF` | today in Asia/Shanghai | the local date a run is "as of" |
| `CDP_ENGINE` | `duckdb` | the engine of `cdp run`: `duckdb` (the build database) or `spark` (README "Running on Spark"; `cdp demo` runs on DuckDB only) |
| `CDP_SPARK_HOST` | empty | with `CDP_ENGINE=spark`, the host of a Spark Thrift Server to build on (dbt target `thrift`); empty: a local Spark session inside dbt (target `spark`) |
| `CDP_SPARK_PORT` | `10000` | the Thrift Server's port |
| `CDP_SPARK_JAVA_OPTIONS` | empty | more options for the local Spark sessions' JVM (dbt's, `profiles.yml`, and the quality gate's); `-Dspark.<setting>=<value>` sets a Spark setting |
| `CDP_THREADS` | DuckDB's default (all cores) | DuckDB threads (a local Spark session: its cores, default 2) |
| `CDP_DBT_THREADS` | `1`, on Spark `4` | dbt models built side by side (`profiles.yml`; each already uses every DuckDB thread) |
| `CDP_MEMORY_LIMIT` | `4GB` | DuckDB memory limit per process, e.g. `8GB` or `50%` (DuckDB spills to disk past it; docs/benchmark.md) |
| `CDP_INGEST_MEMORY_LIMIT` | `3GB`, or `CDP_MEMORY_LIMIT` when that is set | DuckDB memory limit while ingesting (the ingestion step reads and checks its files beside it, in the same process) |
| `CDP_MAX_AMOUNT` | `1000000` | the largest plausible amount in yuan (an order, a payment, a unit price, a coupon); a row with a larger one is quarantined |
| `CDP_GATE_MAX_SNAPSHOT_SHRINK` | `0.2` | a snapshot entity with more than this share fewer rows than its previous snapshot blocks publishing |
| `CDP_GATE_MAX_QUARANTINE_RATE` | `0.05` | a file of the run with more than this share of its rows quarantined blocks publishing |
| `CDP_GATE_QUARANTINE_MIN_FILE_ROWS` | `100` | files with fewer rows are not judged by their quarantine rate (one bad row in 17 is not a broken export) |
| `CDP_GATE_MAX_CUSTOMER_IDENTIFIERS` | `50` | the largest customer may hold at most this many identifiers |
| `CDP_GATE_MAX_MERGE_RATE` | `0.05` | a run may merge away at most this share of the customers... |
| `CDP_GATE_MERGES_ALWAYS_ALLOWED` | `10` | ...or this many, when that is more |
| `CDP_GATE_MAX_ROW_CHANGE` | `0.5` | a published table's row count may differ from the last publish by at most this share per day between the two as-of dates |
| `CDP_PUBLISH_KEEP` | `3` | published versions kept on disk (the current one and the ones before it) |
| `CDP_PUBLISH_DATABASE` | `yes`, on Spark `no` | `yes`: a publish writes `published.duckdb` beside the Parquet files; `no`: the Parquet files and the manifest only (cdp/publish.py) |
| `CDP_WECOM_CORP_ID` | empty | WeCom corp id (`cdp sync-wecom --apply` and `cdp push-actions --apply` need it) |
| `CDP_WECOM_SECRET` | empty | secret of the WeCom customer-contact app; never logged, never written |
| `CDP_WECOM_BASE_URL` | `https://qyapi.weixin.qq.com` | the WeCom API |
| `CDP_WECOM_TAG_PREFIX` | `CDP-` | the WeCom tag groups the CDP owns are named `<prefix><tag group>` |
| `CDP_WECOM_CALLS_PER_SECOND` | `10` | rate limit of `cdp sync-wecom --apply` and `cdp push-actions --apply` |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from dotenv import dotenv_values

LOCAL_TIME_ZONE = ZoneInfo("Asia/Shanghai")
DEFAULT_MEMORY_LIMIT = "4GB"
"""DuckDB's memory limit unless CDP_MEMORY_LIMIT says otherwise: the nightly run at 1M customers
stays within 6 GB of RAM (docs/benchmark.md)."""
DEFAULT_INGEST_MEMORY_LIMIT = "3GB"
"""DuckDB's memory limit while ingesting unless CDP_INGEST_MEMORY_LIMIT (or, without it,
CDP_MEMORY_LIMIT) says otherwise. The ingestion step holds up to two batches of files in the
same process, and DuckDB only caches written blocks there: ingesting a year at 1M customers
peaked at 5.77 GB with 4 GB and 4.68 GB with 3 GB, in the same time (docs/benchmark.md)."""
DEFAULT_MAX_AMOUNT = 1_000_000.0
"""The largest plausible amount (yuan) unless CDP_MAX_AMOUNT says otherwise: far above any
order of the shops, far below what breaks the totals and the purchase model's fit."""


def _number(
    env: Mapping[str, str], name: str, default: float, *, share: bool = False
) -> float:
    """A positive number (with `share`: between 0 and 1) from variable `name`."""
    raw = env.get(name) or ""
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if share and not 0 <= value <= 1:
        raise SettingsError(f"{name}: {raw!r} is not a share between 0 and 1")
    if not share and not value > 0:
        raise SettingsError(f"{name}: {raw!r} is not a positive number")
    return value


def _yes_no(env: Mapping[str, str], name: str, default: bool) -> bool:
    """`yes` (True) or `no` (False), in either case, from variable `name`."""
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw not in ("yes", "no"):
        raise SettingsError(f"{name}: {env[name]!r} is not yes or no")
    return raw == "yes"


def _whole(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name) or ""
    if not raw:
        return default
    if not (raw.isdigit() and int(raw) > 0):
        raise SettingsError(f"{name}: {raw!r} is not a positive whole number")
    return int(raw)


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable."""


def today_local() -> date:
    return datetime.now(LOCAL_TIME_ZONE).date()


def dbt_as_of(value: str | None) -> date:
    """D in a dbt Python model, as macros/run/as_of.sql gives it to the SQL models: the var
    `as_of` (`value`, from the model's config), else the environment variable CDP_AS_OF,
    else today in Asia/Shanghai."""
    text = (value or "").strip() or os.environ.get("CDP_AS_OF", "").strip()
    return parse_date(text, "var as_of") if text else today_local()


def parse_date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise SettingsError(f"{what}: {value!r} is not a date (YYYY-MM-DD)") from None


def environment() -> dict[str, str]:
    """The variables of the environment, over those of a `.env` file in the working directory."""
    return {**{k: v for k, v in dotenv_values(".env").items() if v is not None}, **os.environ}


@dataclass(frozen=True)
class IngestSettings:
    """Plausible ranges of the row contract (ingestion/): a value outside them quarantines its
    row."""

    max_amount: float = DEFAULT_MAX_AMOUNT

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IngestSettings:
        env = environment() if env is None else env
        return cls(max_amount=_number(env, "CDP_MAX_AMOUNT", DEFAULT_MAX_AMOUNT))


ENGINES = ("duckdb", "spark")


@dataclass(frozen=True)
class EngineSettings:
    """The engine dbt builds the models on, as the dbt target of dbt_project/profiles.yml."""

    engine: str = "duckdb"
    spark_host: str = ""
    spark_port: int = 10000
    spark_java_options: str = ""
    """More options for a local session's driver JVM (dbt's and the gate's)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EngineSettings:
        engine = (env.get("CDP_ENGINE") or "duckdb").strip().lower()
        if engine not in ENGINES:
            raise SettingsError(f"CDP_ENGINE: {engine!r} is not one of {', '.join(ENGINES)}")
        return cls(
            engine=engine,
            spark_host=(env.get("CDP_SPARK_HOST") or "").strip(),
            spark_port=_whole(env, "CDP_SPARK_PORT", 10000),
            spark_java_options=(env.get("CDP_SPARK_JAVA_OPTIONS") or "").strip(),
        )

    @property
    def dbt_target(self) -> str:
        """`build` (DuckDB), `spark` (a local session) or `thrift` (a Thrift Server)."""
        if self.engine == "duckdb":
            return "build"
        return "thrift" if self.spark_host else "spark"

    def dbt_environment(self) -> dict[str, str]:
        """What profiles.yml reads to choose and reach the target."""
        environment = {"CDP_DBT_TARGET": self.dbt_target}
        if self.spark_host:
            environment |= {"CDP_SPARK_HOST": self.spark_host, "CDP_SPARK_PORT": str(self.spark_port)}
        return environment


@dataclass(frozen=True)
class GateSettings:
    """Bounds of the quality gate (expectations/)."""

    max_snapshot_shrink: float = 0.2
    max_quarantine_rate: float = 0.05
    quarantine_min_file_rows: int = 100
    max_customer_identifiers: int = 50
    max_merge_rate: float = 0.05
    merges_always_allowed: int = 10
    max_row_change: float = 0.5

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GateSettings:
        return cls(
            max_snapshot_shrink=_number(env, "CDP_GATE_MAX_SNAPSHOT_SHRINK", 0.2, share=True),
            max_quarantine_rate=_number(env, "CDP_GATE_MAX_QUARANTINE_RATE", 0.05, share=True),
            quarantine_min_file_rows=_whole(env, "CDP_GATE_QUARANTINE_MIN_FILE_ROWS", 100),
            max_customer_identifiers=_whole(env, "CDP_GATE_MAX_CUSTOMER_IDENTIFIERS", 50),
            max_merge_rate=_number(env, "CDP_GATE_MAX_MERGE_RATE", 0.05, share=True),
            merges_always_allowed=_whole(env, "CDP_GATE_MERGES_ALWAYS_ALLOWED", 10),
            max_row_change=_number(env, "CDP_GATE_MAX_ROW_CHANGE", 0.5, share=True),
        )

    def over_days(self, days: int) -> GateSettings:
        """The bounds for a publish `days` after the last one: the row change a night may
        bring, that many times (a run as of a month after the last publish is not one
        night)."""
        return replace(self, max_row_change=self.max_row_change * max(days, 1))


@dataclass(frozen=True)
class WecomSettings:
    """The WeCom API `cdp sync-wecom` and `cdp push-actions` talk to. `secret` never appears in
    a log or repr."""

    corp_id: str = ""
    secret: str = field(default="", repr=False)
    base_url: str = "https://qyapi.weixin.qq.com"
    tag_prefix: str = "CDP-"
    calls_per_second: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WecomSettings:
        return cls(
            corp_id=env.get("CDP_WECOM_CORP_ID") or "",
            secret=env.get("CDP_WECOM_SECRET") or "",
            base_url=(env.get("CDP_WECOM_BASE_URL") or "https://qyapi.weixin.qq.com").rstrip("/"),
            tag_prefix=env.get("CDP_WECOM_TAG_PREFIX") or "CDP-",
            calls_per_second=_number(env, "CDP_WECOM_CALLS_PER_SECOND", 10.0),
        )


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_dir: Path
    as_of: date
    threads: int | None
    memory_limit: str
    ingest_memory_limit: str = DEFAULT_INGEST_MEMORY_LIMIT
    ingest: IngestSettings = field(default_factory=lambda: IngestSettings())
    engine: EngineSettings = field(default_factory=lambda: EngineSettings())
    gate: GateSettings = field(default_factory=lambda: GateSettings())
    publish_keep: int = 3
    publish_database: bool = True
    """Whether a publish writes `published.duckdb` (CDP_PUBLISH_DATABASE; the Parquet files and
    the manifest are always written)."""
    wecom: WecomSettings = field(default_factory=lambda: WecomSettings())

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; variables already in the environment win over `.env`."""
        if env is None:
            env = environment()
        threads = env.get("CDP_THREADS") or None
        if threads is not None and not (threads.isdigit() and int(threads) > 0):
            raise SettingsError(f"CDP_THREADS: {threads!r} is not a positive whole number")
        as_of = env.get("CDP_AS_OF")
        engine = EngineSettings.from_env(env)
        return cls(
            landing_dir=Path(env.get("CDP_LANDING_DIR") or "data/landing"),
            warehouse_dir=Path(env.get("CDP_WAREHOUSE_DIR") or "data/warehouse"),
            as_of=parse_date(as_of, "CDP_AS_OF") if as_of else today_local(),
            threads=int(threads) if threads else None,
            memory_limit=env.get("CDP_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT,
            ingest_memory_limit=(
                env.get("CDP_INGEST_MEMORY_LIMIT")
                or env.get("CDP_MEMORY_LIMIT")
                or DEFAULT_INGEST_MEMORY_LIMIT
            ),
            ingest=IngestSettings.from_env(env),
            engine=engine,
            gate=GateSettings.from_env(env),
            publish_keep=_whole(env, "CDP_PUBLISH_KEEP", 3),
            publish_database=_yes_no(
                env, "CDP_PUBLISH_DATABASE", default=engine.engine == "duckdb"
            ),
            wecom=WecomSettings.from_env(env),
        )
