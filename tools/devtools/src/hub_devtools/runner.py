"""Running the hub's services as separate processes (the dev runner and the end-to-end tests)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

SERVICES: dict[str, str] = {
    "gateway": "hub-gateway",
    "assessments": "hub-assessments",
    "webhooks": "hub-webhooks",
    "connectors": "hub-connectors",
}


def script_path(name: str) -> str:
    """The console script of a service, from this interpreter's environment."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed: run `uv sync --all-packages`")
    return found


@dataclass
class ServiceProcess:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@dataclass
class ServiceGroup:
    """Starts each service's console script with the given environment; stops them all."""

    env: dict[str, str]
    log_dir: Path
    processes: dict[str, ServiceProcess] = field(default_factory=dict)

    def start(self, name: str, extra_env: dict[str, str] | None = None, instance: str = "") -> ServiceProcess:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        label = f"{name}{instance}"
        log = self.log_dir / f"{label}.log"
        proc = subprocess.Popen(
            [script_path(SERVICES[name])],
            env={**os.environ, **self.env, **(extra_env or {})},
            stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        process = ServiceProcess(label, proc, log)
        self.processes[label] = process
        return process

    def stop(self, label: str, sig: signal.Signals = signal.SIGTERM, timeout: float = 20) -> None:
        process = self.processes.pop(label)
        if process.alive():
            process.proc.send_signal(sig)
            try:
                process.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                process.proc.kill()
                process.proc.wait(10)

    def stop_all(self) -> None:
        """SIGTERM to every service at once, then wait for each (SIGKILL after the timeout)."""
        for process in self.processes.values():
            if process.alive():
                process.proc.send_signal(signal.SIGTERM)
        for label in list(self.processes):
            self.stop(label)

    def check_alive(self) -> None:
        for process in self.processes.values():
            if not process.alive():
                raise RuntimeError(f"{process.name} exited with {process.proc.returncode}:\n{process.tail()}")


def wait_http_ok(url: str, timeout: float = 60, group: ServiceGroup | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if group is not None:
            group.check_alive()
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback URL we built)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer 200 within {timeout}s")


@contextlib.asynccontextmanager
async def assessments_process(kafka_bootstrap: str, redis_url: str, namespace: str,
                              stop_timeout_s: float = 10) -> AsyncIterator[ServiceProcess]:
    """The real assessments service as its own process for a test (SIGKILL if it does not stop in time).

    A process, not a task in the test's event loop: a consumer that hangs on shutdown (seen about
    once in ten stops, inside aiokafka/FastStream) is then killed instead of hanging the test's loop.
    Offsets are committed only after side effects, so a kill loses nothing."""
    log_dir = Path(tempfile.mkdtemp(prefix="hub-assessments-"))
    group = ServiceGroup({"HUB_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "HUB_REDIS_URL": redis_url,
                          "HUB_NAMESPACE": namespace, "HUB_LOG_FORMAT": "json"}, log_dir)
    process = group.start("assessments")
    try:
        yield process
    finally:
        await asyncio.to_thread(group.stop, process.name, signal.SIGTERM, stop_timeout_s)
