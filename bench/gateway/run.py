"""Gateway benchmark: sustained POST /v1/assessments through auth, rate limit, validation and the
Kafka produce (acks=all, idempotent), against a bare FastAPI endpoint served the same way, in the
same run; then p50/p99 latency at half the measured throughput (open loop, fixed rate).

    uv run python bench/gateway/run.py [--seconds 20] [--connections 32]

Needs wrk (apt-get install wrk). Starts its own Apache Kafka and Redis unless KAFKA_BOOTSTRAP_SERVERS
and REDIS_URL are set. Prints a Markdown table for bench/gateway/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import aiohttp
import orjson
from redis.asyncio import Redis

from hub_contracts.accounts import Plan
from hub_devtools import brokers
from hub_devtools.provision import create_topics, wait_for_kafka
from hub_devtools.runner import ServiceGroup, wait_http_ok
from hub_gateway.accounts import AccountAdmin

HERE = Path(__file__).resolve().parent
SECRET = "bench-secret"  # noqa: S105 (a throwaway benchmark namespace)
VEGETA_VERSION = "v12.13.0"
BODY = (HERE / "post.lua").read_text().split("wrk.body = '")[1].rsplit("'", 1)[0]


def wrk(url: str, seconds: int, connections: int, key: str) -> float:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(HERE / "post.lua"),
                          f"{url}/v1/assessments"], capture_output=True, text=True, check=True,
                         env={**os.environ, "BENCH_API_KEY": key}).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{url}: {non2xx.group(1)} failed responses\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


async def fixed_rate(url: str, rate: float, seconds: int, key: str) -> list[float]:
    """Open loop: one request every 1/rate s regardless of replies; latencies in ms."""
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as session:
        async def one() -> None:
            start = time.perf_counter()
            async with session.post(f"{url}/v1/assessments", data=BODY, headers=headers) as response:
                await response.read()
                if response.status != 201:
                    raise RuntimeError(f"status {response.status}")
            latencies.append((time.perf_counter() - start) * 1000)

        tasks = []
        begin = time.perf_counter()
        for i in range(int(rate * seconds)):
            delay = begin + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    return latencies


def vegeta_binary() -> str | None:
    """vegeta (a Go load generator with exact open-loop pacing), installed from the Go proxy if `go` is here."""
    found = shutil.which("vegeta")
    if found:
        return found
    gobin = Path.home() / ".cache" / "hub-bench" / "bin"
    if (gobin / "vegeta").exists():
        return str(gobin / "vegeta")
    if shutil.which("go") is None:
        return None
    subprocess.run(["go", "install", f"github.com/tsenart/vegeta/v12@{VEGETA_VERSION}"], check=True,
                   env={**os.environ, "GOBIN": str(gobin)})
    return str(gobin / "vegeta")


def vegeta_latencies(vegeta: str, url: str, rate: float, seconds: int, key: str, work: Path) -> dict[str, float]:
    """Open loop at a fixed rate; p50/p99 in ms of every request (all must be 201)."""
    (work / "body.json").write_text(BODY)
    target = (f"POST {url}/v1/assessments\nAuthorization: Bearer {key}\nContent-Type: application/json\n"
              f"@{work / 'body.json'}\n")
    attack = subprocess.run([vegeta, "attack", f"-rate={int(rate)}/s", f"-duration={seconds}s", "-max-workers=256"],
                            input=target.encode(), capture_output=True, check=True).stdout
    report = orjson.loads(subprocess.run([vegeta, "report", "-type=json"], input=attack, capture_output=True,
                                         check=True).stdout)
    if report["status_codes"] != {"201": report["requests"]}:
        raise RuntimeError(f"vegeta: not all 201: {report['status_codes']} {report.get('errors')}")
    return {"p50": report["latencies"]["50th"] / 1e6, "p99": report["latencies"]["99th"] / 1e6,
            "requests": report["requests"]}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_request_us(pid: int, run: Callable[[], dict[str, float]]) -> tuple[dict[str, float], float]:
    """Runs a fixed-rate load and returns its report and the server's CPU microseconds per request."""
    before = cpu_seconds(pid)
    report = run()
    return report, (cpu_seconds(pid) - before) * 1e6 / report["requests"]


def py_spy(pid: int, seconds: int, out: Path) -> subprocess.Popen[bytes]:
    fmt = "raw" if out.suffix == ".txt" else "speedscope"  # raw: collapsed stacks, one per line
    return subprocess.Popen(["uvx", "py-spy", "record", "-p", str(pid), "-d", str(seconds), "-r", "200",
                             "-f", fmt, "-o", str(out)], stdout=subprocess.DEVNULL)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 10) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--profile", type=Path,
                        help="py-spy the gateway during its wrk run (speedscope; collapsed stacks for a .txt path)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    started = []
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    redis_url = os.environ.get("REDIS_URL")
    if kafka is None:
        k = brokers.start_apache_kafka(work / "kafka")
        started.append(k)
        kafka = k.address
    if redis_url is None:
        r = brokers.start_redis(work / "redis")
        started.append(r)
        redis_url = r.address
    namespace = f"bench{uuid.uuid4().hex[:6]}."
    asyncio.run(wait_for_kafka(kafka))
    asyncio.run(create_topics(kafka, namespace))

    async def make_key() -> str:
        redis = Redis.from_url(redis_url)
        try:
            admin = AccountAdmin(redis, SECRET, namespace)
            account = await admin.create_account("Bench LLP", Plan.ENTERPRISE, rate_limit_per_minute=100_000)
            key, _ = await admin.create_key(account.id, "live")
            return key
        finally:
            await redis.aclose()

    key = asyncio.run(make_key())
    gw_port, bare_port = brokers.free_port(), brokers.free_port()
    group = ServiceGroup({"HUB_KAFKA_BOOTSTRAP_SERVERS": kafka, "HUB_REDIS_URL": redis_url,
                          "HUB_NAMESPACE": namespace, "HUB_API_KEY_SECRET": SECRET, "HUB_HTTP_PORT": str(gw_port),
                          "HUB_LOG_LEVEL": "WARNING"}, work / "logs")
    bare = subprocess.Popen([sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(bare_port),
                             "--log-level", "warning", "--no-access-log"], cwd=HERE)
    try:
        group.start("gateway")
        wait_http_ok(f"http://127.0.0.1:{gw_port}/healthz", 60, group)
        wait_http_ok(f"http://127.0.0.1:{bare_port}/healthz", 60)
        gw_url, bare_url = f"http://127.0.0.1:{gw_port}", f"http://127.0.0.1:{bare_port}"
        wrk(gw_url, 3, args.connections, key)  # warm-up (JIT of nothing, but connections, caches)
        wrk(bare_url, 3, args.connections, key)
        bare_rps = wrk(bare_url, args.seconds, args.connections, key)
        spy = py_spy(group.processes["gateway"].proc.pid, args.seconds, args.profile) if args.profile else None
        gw_rps = wrk(gw_url, args.seconds, args.connections, key)
        if spy is not None:
            spy.wait()
        half = gw_rps / 2
        vegeta = vegeta_binary()
        latencies = asyncio.run(fixed_rate(gw_url, half, args.seconds, key))
        exact = cpu_gw = cpu_bare = None
        if vegeta:
            exact, cpu_gw = cpu_per_request_us(group.processes["gateway"].proc.pid,
                                               lambda: vegeta_latencies(vegeta, gw_url, half, args.seconds, key, work))
            _, cpu_bare = cpu_per_request_us(bare.pid,
                                             lambda: vegeta_latencies(vegeta, bare_url, half, args.seconds, key, work))
        print("| measure | value |")
        print("| --- | --- |")
        print(f"| bare FastAPI endpoint, req/s (wrk, {args.connections} connections) | {bare_rps:,.0f} |")
        print(f"| gateway POST /v1/assessments, req/s | {gw_rps:,.0f} |")
        print(f"| ratio gateway / bare (target ≥ 0.5) | {gw_rps / bare_rps:.2f} |")
        print(f"| latency at {half:,.0f} req/s (half load), p50 ms | {pct(latencies, 50):.1f} |")
        print(f"| p99 ms (target ≤ 25) | {pct(latencies, 99):.1f} |")
        print(f"| requests in the latency run | {len(latencies):,} |")
        if exact is not None:
            print(f"| vegeta (Go, exact pacing) at {half:,.0f} req/s, p50 ms | {exact['p50']:.1f} |")
            print(f"| vegeta p99 ms (target ≤ 25) | {exact['p99']:.1f} |")
            print(f"| server CPU per request at {half:,.0f} req/s: bare, µs | {cpu_bare:,.0f} |")
            print(f"| server CPU per request: gateway, µs (bare / gateway = {cpu_bare / cpu_gw:.2f}) | {cpu_gw:,.0f} |")
    finally:
        bare.terminate()
        group.stop_all()
        for proc in started:
            proc.stop()


if __name__ == "__main__":
    main()
