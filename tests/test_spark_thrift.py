"""The dbt models on a Spark cluster through its Thrift Server (README "Running on Spark"),
issue 26: the profile's `thrift` target, chosen as `CDP_ENGINE=spark` with `CDP_SPARK_HOST`
chooses it. The test starts a small standalone cluster from the pyspark package (a master, one
worker and the Spark Thrift Server submitted to the master, all on 127.0.0.1), registers the raw
tables of a small generated landing zone there and builds the staging models (and one model
reading them) through the Thrift Server; every table must hold the same rows as in
DuckDB's build of the same models, compared as tests/test_spark.py compares them.

The cluster's sessions default to Asia/Shanghai, as a cluster run by the shops' team may: the
match also shows that the target sets its own sessions to UTC (profiles.yml)."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from cdp.compare import difference, rows
from cdp.settings import EngineSettings
from dbt_in_process import dbt, dbt_process
from ingestion import warehouse
from ingestion.loader import ingest
from ingestion.spark_loader import ingest_on_spark
from test_spark import AS_OF, ENGINES, SHORT_RUN_JVM, SHORT_RUN_SPARK, needs_spark
from tools.generate import generate

SELECTION = ["--select", "staging", "int_customers__identifier_dates"]
"""What the test builds on both engines: the staging models and a model reading only them,
18 tables. The identity graph's models, also built from staging alone, would add 15 to 20 s
(the identifier occurrences alone 10 s) to a test that must stay within about 90 s on two
shared cores; tests/test_spark.py builds them on a local session."""
START_TIMEOUT = 120
"""Seconds the Thrift Server gets to answer; it did within 20 here."""
STOP_TIMEOUT = 20
"""Seconds a process gets to end after SIGTERM, before SIGKILL."""
KILL_TIMEOUT = 10
"""Seconds the processes SIGKILL ended get to be gone (a JVM's exit is not instant, and an
executor orphaned by its worker waits to be reaped)."""
LOG_TAIL = 3000


def free_port() -> int:
    """A port nothing listens on now, for a process about to bind it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    """Whether something accepts connections on the port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


class Cluster:
    """A master, a worker and the Thrift Server, each in its own process group (its leader's
    pid is the group's id), with its output in `<root>/<name>.log`. Everything it writes is
    under `root`: its tables in `<root>/warehouse/<schema>.db/`, the Derby metastore, scratch
    and work folders."""

    def __init__(self, root: Path):
        self.root = root
        self.warehouse = root / "warehouse"
        self.thrift_port = free_port()
        self.processes: dict[str, subprocess.Popen] = {}
        self.started = time.perf_counter()

    def start(self) -> None:
        """Start the three processes from the pyspark package, bound to 127.0.0.1 on free
        ports, without waiting for them. Small, as the machine's two cores are shared: the
        daemons get 256 MB, the Thrift Server (the driver) and its one executor 512 MB, the
        executor one core; the JVMs and Spark set for a short run (test_spark.py)."""
        spark_home = Path(importlib.util.find_spec("pyspark").origin).parent
        master_port = free_port()
        master = f"spark://127.0.0.1:{master_port}"
        temp = self.root / "tmp"
        temp.mkdir(parents=True)
        environment = {
            **os.environ,
            "SPARK_HOME": str(spark_home),
            "SPARK_LOCAL_IP": "127.0.0.1",
            # The worker's executor folders (`spark-*/executor-*`, left behind when a killed
            # worker cannot remove them) in the cluster's folder, not the system's.
            "SPARK_LOCAL_DIRS": str(temp),
            # No spark-defaults.conf from elsewhere: the options below are all there is.
            "SPARK_CONF_DIR": str(self.root / "conf"),
            "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",
            "SPARK_DAEMON_JAVA_OPTS": SHORT_RUN_JVM,
        }
        thrift_server_conf = {
            "spark.executor.memory": "512m",
            "spark.executor.cores": "1",
            "spark.cores.max": "1",
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.ui.enabled": "false",
            "spark.sql.shuffle.partitions": "1",
            "spark.sql.session.timeZone": "Asia/Shanghai",
            "spark.sql.warehouse.dir": str(self.warehouse),
            "spark.hadoop.javax.jdo.option.ConnectionURL":
                f"jdbc:derby:;databaseName={self.root / 'metastore_db'};create=true",
            "spark.driver.extraJavaOptions":
                f"{SHORT_RUN_JVM} -Dderby.system.home={self.root} -Djava.io.tmpdir={temp}",
            "spark.executor.extraJavaOptions": f"{SHORT_RUN_JVM} -Djava.io.tmpdir={temp}",
            "spark.local.dir": str(temp),
            **SHORT_RUN_SPARK,
        }
        commands = {
            "master": [
                spark_home / "bin" / "spark-class", "org.apache.spark.deploy.master.Master",
                "--host", "127.0.0.1", "--port", str(master_port), "--webui-port", str(free_port()),
            ],
            "worker": [
                spark_home / "bin" / "spark-class", "org.apache.spark.deploy.worker.Worker",
                "--host", "127.0.0.1", "--webui-port", str(free_port()),
                "--cores", "1", "--memory", "512m", "--work-dir", str(self.root / "work"), master,
            ],
            "thrift-server": [
                spark_home / "bin" / "spark-submit", "--master", master,
                "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
                *(f"--conf={key}={value}" for key, value in thrift_server_conf.items()),
                "spark-internal",
                "--hiveconf", "hive.server2.thrift.bind.host=127.0.0.1",
                "--hiveconf", f"hive.server2.thrift.port={self.thrift_port}",
                "--hiveconf", f"hive.exec.scratchdir={self.root / 'scratch'}",
            ],
        }
        # SPARK_DAEMON_MEMORY: the daemons' heap, and the Thrift Server's (its driver's) too,
        # over spark.driver.memory.
        memory = {"master": "256m", "worker": "256m", "thrift-server": "512m"}
        for name, command in commands.items():
            with open(self.root / f"{name}.log", "w") as log:
                self.processes[name] = subprocess.Popen(
                    command, stdout=log, stderr=subprocess.STDOUT, cwd=self.root,
                    env={**environment, "SPARK_DAEMON_MEMORY": memory[name]},
                    start_new_session=True,
                )

    def log_tails(self) -> str:
        """The end of each process's output, for a failure's message."""
        return "\n".join(
            f"--- {name}.log:\n{(self.root / f'{name}.log').read_text(errors='replace')[-LOG_TAIL:]}"
            for name in self.processes
        )

    def wait_until_answering(self) -> float:
        """Seconds from the start until the Thrift port answered; fails with the logs' tails
        when a process ends first or the port stays closed past START_TIMEOUT."""
        while not answers(self.thrift_port):
            ended = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
            waited = time.perf_counter() - self.started
            if ended or waited > START_TIMEOUT:
                pytest.fail(
                    f"the Thrift Server did not answer on port {self.thrift_port} "
                    f"(after {waited:.0f} s; ended: {ended or 'none'})\n{self.log_tails()}"
                )
            time.sleep(0.5)
        return time.perf_counter() - self.started

    def stop(self) -> None:
        """SIGTERM to every process group (the worker's holds the executor it launched), then
        SIGKILL to what is left of a group after STOP_TIMEOUT; the leaders are reaped, and the
        groups get KILL_TIMEOUT to be gone (a teardown on a loaded machine once found the
        worker's and the Thrift Server's groups still there right after their SIGKILL)."""
        for process in self.processes.values():
            signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in self.processes.values():
            while group_alive(process.pid) and time.monotonic() < deadline:
                process.poll()
                time.sleep(0.2)
            signal_group(process.pid, signal.SIGKILL)
            process.wait()
        gone = time.monotonic() + KILL_TIMEOUT
        while self.running() and time.monotonic() < gone:
            time.sleep(0.2)

    def running(self) -> list[str]:
        """The processes whose group still has a process."""
        return [name for name, process in self.processes.items() if group_alive(process.pid)]


def signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def group_alive(pgid: int) -> bool:
    """Whether a process of the group is still there (an ended one not yet reaped is)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The cluster, started (not yet answering); stopped afterwards, pass or fail, and then no
    process of it may be left."""
    cluster = Cluster(tmp_path_factory.mktemp("thrift") / "cluster")
    cluster.root.mkdir()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        assert not cluster.running(), f"still running after the stop: {cluster.running()}"


@pytest.fixture(scope="module")
def built(
    cluster: Cluster, spark, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str], float]:
    """The warehouse, the schema of each table DuckDB built and how long the Spark part took:
    the selection built on DuckDB (while the cluster starts) and the extracts read by Spark
    into the raw tables' partitioned Parquet (ingestion/spark_loader.py, on the tests' local
    session; its load log in a build database of its own), then the selection built through
    the Thrift Server, whose on-run-start hook registers them and recovers their partitions
    (the Spark part: the wait for the server after the DuckDB part, and the build)."""
    root = tmp_path_factory.mktemp("thrift-build")
    generate(root / "landing", customers=120, days=14, seed=26, end=AS_OF, snapshot_every=7)
    warehouse_dir = root / "warehouse"
    with warehouse.connect(warehouse.build_database(warehouse_dir)) as conn:
        ingest(conn, root / "landing")
    with warehouse.connect(root / "read-by-spark" / "build.duckdb") as conn:
        ingest_on_spark(spark, conn, root / "landing", warehouse_dir)
    build = ["build", "--resource-type", "model", *SELECTION]
    duckdb_engine = EngineSettings(engine="duckdb")
    dbt(  # in this process (tests/dbt_in_process.py): a process of its own cost ~4 s more
        *build, warehouse_dir=warehouse_dir,
        target=warehouse_dir / f"target-{duckdb_engine.dbt_target}",
        environment={**duckdb_engine.dbt_environment(), "CDP_AS_OF": AS_OF.isoformat()},
    )

    spark_started = time.perf_counter()
    answered = cluster.wait_until_answering()
    thrift = EngineSettings(engine="spark", spark_host="127.0.0.1", spark_port=cluster.thrift_port)
    assert thrift.dbt_target == "thrift"
    dbt_process(  # as the Dagster dbt asset runs it
        *build, warehouse_dir=warehouse_dir, target=warehouse_dir / f"target-{thrift.dbt_target}",
        environment={**thrift.dbt_environment(), "CDP_AS_OF": AS_OF.isoformat()},
    )
    seconds = time.perf_counter() - spark_started
    print(f"\nThe Thrift Server answered {answered:.1f} s after the start; "
          f"the Spark part took {seconds:.1f} s")

    with duckdb.connect(str(warehouse.build_database(warehouse_dir)), read_only=True) as conn:
        schemas = dict(conn.execute(
            "select table_name, schema_name from duckdb_tables() "
            "where schema_name not in ('raw', 'main')"
        ).fetchall())
    return warehouse_dir, schemas, seconds


@needs_spark
def test_the_models_built_through_the_thrift_server_hold_the_same_rows_as_on_duckdb(
    cluster, built, record_property
):
    """Spark's tables are read from the cluster's warehouse folder, where only the Thrift
    Server writes. `spark_seconds`, the Spark part's time, shows in the run's summary
    (conftest.py)."""
    warehouse_dir, schemas, seconds = built
    record_property("spark_seconds", round(seconds, 1))
    with duckdb.connect(str(warehouse.build_database(warehouse_dir)), read_only=True) as conn:
        conn.execute("set TimeZone = 'UTC'")
        for table, schema in sorted(schemas.items()):
            files = cluster.warehouse / f"{schema}.db" / table
            assert files.is_dir(), f"{schema}.{table} was built on DuckDB, not through the Thrift Server"
            spark = f"read_parquet('{files}/*.parquet')"
            columns = [c for (c, *_) in conn.execute(f"describe {schema}.{table}").fetchall()]
            spark_columns = [c for (c, *_) in conn.execute(f"describe select * from {spark}").fetchall()]
            assert spark_columns == columns, f"{table}: columns {spark_columns} on Spark, {columns} on DuckDB"
            duck_rows = rows(conn, f"{schema}.{table}", columns)
            assert duck_rows, f"{table}: no rows on DuckDB"
            found = difference(table, columns, duck_rows, rows(conn, spark, columns), ENGINES)
            assert found is None, found
    assert len(schemas) == 18, sorted(schemas)
