"""Webhook delivery benchmark: the webhooks service against the bare aiohttp client, same run.

    uv run python bench/webhooks/bench_webhooks.py [--events 3000] [--rounds 2] [--workers 1] [--e2e]

Needs Kafka and Redis (KAFKA_BOOTSTRAP_SERVERS, REDIS_URL). Starts, as separate processes, a
receiver (aiohttp on 127.0.0.1, answers 200 and records arrival times) and the `hub-webhooks`
service (and with --e2e `hub-assessments`), each under a fresh namespace.

1. Throughput through the service: N assessment events with a callback URL are produced to Kafka;
   deliveries/s = N / (last webhook received - first event produced).
2. Bare client: the same N payloads, signed the same way at send time, POSTed by one aiohttp
   session with the service's concurrency to the same receiver. The ratio is 1 / 2.
3. Latency at a steady load: events produced at --rate per second; event produced → webhook
   received, p50/p99.
4. --e2e: create + simulated completion commands to the assessments service; create command
   produced → `assessment.completed` webhook received, p50/p99 (the gateway is not in the path).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import orjson
from aiohttp import web
from aiokafka import AIOKafkaProducer
from redis.asyncio import Redis

from hub_contracts.accounts import Plan
from hub_contracts.assessment import AssessmentSnapshot, AssessmentStatus, Candidate
from hub_contracts.base import new_id, utcnow
from hub_contracts.cloudevents import make_headers
from hub_contracts.commands import CreateAssessment, SimulateAssessment
from hub_contracts.events import AssessmentCreated
from hub_contracts.ids import new_assessment_id
from hub_contracts.results import AgenticReadinessResults, DimensionScore, band_for
from hub_contracts.topics import ASSESSMENT_COMMANDS, ASSESSMENT_EVENTS
from hub_contracts.views import webhook_payload
from hub_devtools.provision import create_topics
from hub_gateway.accounts import AccountAdmin
from hub_webhooks.secrets import account_signing_secret
from hub_webhooks.signing import webhook_headers

ACCOUNT = "acct_BenchAccount01"
GATEWAY_KEY_SECRET = "bench-gateway-secret"  # noqa: S105 (a throwaway benchmark namespace)
CONCURRENCY = 64


# ---------------------------------------------------------------- receiver process
def run_receiver(port: int) -> None:
    arrivals: dict[str, tuple[float, str, str]] = {}

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        now = time.time()
        doc = orjson.loads(body)
        arrivals[request.headers["webhook-id"]] = (
            now,
            doc.get("type", ""),
            doc.get("data", {}).get("id", ""),
        )
        return web.Response(status=200, text="ok")

    async def stats(_: web.Request) -> web.Response:
        return web.Response(body=orjson.dumps(arrivals), content_type="application/json")

    async def reset(_: web.Request) -> web.Response:
        arrivals.clear()
        return web.Response(text="ok")

    async def slow(request: web.Request) -> web.Response:
        await request.read()
        await asyncio.sleep(10)  # a receiver that takes 10 s per request (the isolation run)
        return web.Response(status=200, text="ok")

    app = web.Application()
    app.router.add_post("/hook/{tail:.*}", hook)
    app.router.add_post("/slow/{tail:.*}", slow)
    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, backlog=2048)


# ---------------------------------------------------------------- helpers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_http(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(url) as r:
                    if r.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(url)
            await asyncio.sleep(0.2)


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str]) -> AsyncIterator[subprocess.Popen[bytes]]:  # type: ignore[misc]
    proc = subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def snapshot(callback_url: str) -> AssessmentSnapshot:
    now = utcnow()
    aid = new_assessment_id()
    return AssessmentSnapshot(
        id=aid,
        account_id=ACCOUNT,
        livemode=True,
        status=AssessmentStatus.PENDING,
        version=1,
        candidate=Candidate(email="bench@example.com", name="Bench Candidate"),
        scenario_id="ma-due-diligence-v2",
        callback_url=callback_url,
        candidate_url=f"https://app.lextalent.ai/challenge/{aid[5:]}",
        created_at=now,
        updated_at=now,
        expires_at=now + timedelta(days=7),
    )


def event(callback_url: str) -> AssessmentCreated:
    snap = snapshot(callback_url)
    return AssessmentCreated(
        event_id=new_id("evt"),
        assessment_id=snap.id,
        account_id=ACCOUNT,
        livemode=True,
        version=1,
        occurred_at=snap.updated_at,
        snapshot=snap,
    )


async def produce_event(
    producer: AIOKafkaProducer, topic: str, ev: AssessmentCreated
) -> asyncio.Future[object]:
    headers = make_headers(id=ev.event_id, type=ev.type, source="//bench", subject=ev.assessment_id)
    fut: asyncio.Future[object] = await producer.send(
        topic, ev.to_json(), key=ev.assessment_id.encode(), headers=headers
    )
    return fut


async def arrivals(http: aiohttp.ClientSession, base: str) -> dict[str, list[object]]:
    async with http.get(f"{base}/stats") as r:
        data: dict[str, list[object]] = orjson.loads(await r.read())
        return data


async def wait_count(
    http: aiohttp.ClientSession,
    base: str,
    ids: set[str],
    timeout_s: float = 120,
) -> dict[str, list[object]]:
    deadline = time.monotonic() + timeout_s
    while True:
        got = await arrivals(http, base)
        if ids <= got.keys():
            return got
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(ids - got.keys())} of {len(ids)} webhooks missing")
        await asyncio.sleep(0.1)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


# ---------------------------------------------------------------- measurements
async def through_service(
    producer: AIOKafkaProducer, topic: str, http: aiohttp.ClientSession, rbase: str, n: int, tag: str
) -> float:
    events = [event(f"{rbase}/hook/{tag}") for _ in range(n)]
    t0 = time.time()
    futures = [await produce_event(producer, topic, ev) for ev in events]
    await asyncio.gather(*futures)
    got = await wait_count(http, rbase, {e.event_id for e in events})
    last = max(float(got[e.event_id][0]) for e in events)  # type: ignore[arg-type]
    return n / (last - t0)


async def redis_cpu_seconds(redis: Redis) -> float:
    info = await redis.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def bare_client(secret: str, rbase: str, n: int, tag: str) -> tuple[float, float]:
    """Requests/s and this process's CPU seconds while sending (payloads are built before)."""
    events = [event(f"{rbase}/hook/{tag}") for _ in range(n)]
    bodies = [(e.event_id, webhook_payload(e).to_json()) for e in events]
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=15, sock_connect=5)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            while not queue.empty():
                msg_id, body = queue.get_nowait()
                headers = webhook_headers([secret], msg_id, int(time.time()), body)
                async with session.post(
                    f"{rbase}/hook/{tag}", data=body, headers=headers, allow_redirects=False
                ) as r:
                    await r.content.read(4096)
                    assert r.status == 200

        t0, cpu0 = time.time(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return n / (time.time() - t0), time.process_time() - cpu0


async def isolation(
    producer: AIOKafkaProducer, topic: str, http: aiohttp.ClientSession, rbase: str, rate: float, seconds: float
) -> tuple[tuple[float, float, int], ...]:
    """The healthy destination's latency alone, then while another destination (its own callback URL)
    takes 10 s per request and receives events at the same rate, then alone again."""
    alone = await steady_latency(producer, topic, http, rbase, rate, seconds)

    async def feed_the_slow_one() -> None:
        start = time.monotonic()
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
            await produce_event(producer, topic, event(f"{rbase}/slow/sleepy"))

    slow_feed = asyncio.create_task(feed_the_slow_one())
    beside_slow = await steady_latency(producer, topic, http, rbase, rate, seconds)
    await slow_feed
    await asyncio.sleep(12)  # the slow destination's last requests finish
    again = await steady_latency(producer, topic, http, rbase, rate, seconds)  # order effects show up here
    return alone, beside_slow, again


async def steady_latency(
    producer: AIOKafkaProducer,
    topic: str,
    http: aiohttp.ClientSession,
    rbase: str,
    rate: float,
    seconds: float,
) -> tuple[float, float, int]:
    """Open loop: one event every 1/rate s, whatever the acknowledgements (awaiting each one held the
    rate to ~130/s); event handed to the producer -> webhook received."""
    sent: dict[str, float] = {}
    acks: list[asyncio.Future[object]] = []
    interval = 1 / rate
    start = time.monotonic()
    for i in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + i * interval - time.monotonic()))
        ev = event(f"{rbase}/hook/steady")
        sent[ev.event_id] = time.time()
        acks.append(await produce_event(producer, topic, ev))
    await asyncio.gather(*acks)
    got = await wait_count(http, rbase, set(sent))
    lat = [(float(got[k][0]) - t) * 1000 for k, t in sent.items()]  # type: ignore[arg-type]
    return pct(lat, 50), pct(lat, 99), len(lat)


async def completed_latencies(
    http: aiohttp.ClientSession, rbase: str, sent: dict[str, float], timeout_s: float = 120
) -> list[float]:
    """ms from each assessment's first request (`sent`, by assessment id) to its `assessment.completed`
    webhook, for those that arrived within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = await arrivals(http, rbase)
        done = {str(v[2]): float(v[0]) for v in got.values() if v[1] == "assessment.completed"}  # type: ignore[arg-type]
        if set(sent) <= done.keys() or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    return [(done[a] - t) * 1000 for a, t in sent.items() if a in done]


async def e2e_latency(
    bootstrap: str, namespace: str, http: aiohttp.ClientSession, rbase: str, rate: float, seconds: float
) -> tuple[float, float, int]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=1)
    await producer.start()
    topic = ASSESSMENT_COMMANDS.full_name(namespace)
    sent: dict[str, float] = {}
    try:
        interval = 1 / rate
        start = time.monotonic()
        i = 0
        while time.monotonic() - start < seconds:
            now = utcnow()
            aid = new_assessment_id()
            create = CreateAssessment(
                command_id=new_id("cmd"),
                assessment_id=aid,
                account_id=ACCOUNT,
                livemode=False,
                issued_at=now,
                candidate=Candidate(email="bench@example.com", name="Bench"),
                scenario_id="ma-due-diligence-v2",
                callback_url=f"{rbase}/hook/e2e",
                candidate_url=f"https://app.lextalent.ai/challenge/{aid[5:]}",
                created_at=now,
                expires_at=now + timedelta(days=7),
            )
            results = AgenticReadinessResults(
                overall_score=80,
                band=band_for(80),
                dimensions=(DimensionScore(key="verification", name="Verification", score=80),),
                percentile=70.0,
                report_url="https://app.lextalent.ai/reports/x",  # type: ignore[arg-type]
                duration_seconds=1800,
                completed_at=now,
            )
            simulate = SimulateAssessment(
                command_id=new_id("cmd"),
                assessment_id=aid,
                account_id=ACCOUNT,
                livemode=False,
                issued_at=now,
                outcome="completed",
                results=results,
            )
            sent[aid] = time.time()
            for cmd in (create, simulate):
                headers = make_headers(id=cmd.command_id, type=cmd.type, source="//bench", subject=aid)
                await producer.send(topic, cmd.to_json(), key=aid.encode(), headers=headers)
            i += 1
            await asyncio.sleep(max(0.0, start + i * interval - time.monotonic()))
        await producer.flush()
    finally:
        await producer.stop()
    lat = await completed_latencies(http, rbase, sent)
    return pct(lat, 50), pct(lat, 99), len(lat)


async def e2e_through_gateway(
    gateway: str, key: str, http: aiohttp.ClientSession, rbase: str, rate: float, seconds: float
) -> tuple[float, float, int]:
    """The customer's view: `POST /v1/assessments` (callback_url = the receiver) and, once answered,
    `POST /v1/assessments/{id}/simulate` completed (a test key); from the create request sent to the
    signed `assessment.completed` webhook received. Open loop: one assessment every 1/rate s."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    body = orjson.dumps({"candidate_email": "jane.doe@lawfirm.com", "candidate_name": "Jane Doe",
                         "scenario_id": "ma-due-diligence-v2", "callback_url": f"{rbase}/hook/gw"})
    sent: dict[str, float] = {}
    failures: list[str] = []

    async def one() -> None:
        t0 = time.time()
        async with http.post(f"{gateway}/v1/assessments", data=body, headers=headers) as r:
            created = await r.read()
            if r.status != 201:
                failures.append(f"create {r.status} {created[:200]!r}")
                return
        aid = orjson.loads(created)["id"]
        sent[aid] = t0
        async with http.post(f"{gateway}/v1/assessments/{aid}/simulate", headers=headers,
                             data=orjson.dumps({"outcome": "completed", "overall_score": 80})) as r:
            answer = await r.read()
            if r.status >= 300:
                failures.append(f"simulate {r.status} {answer[:200]!r}")

    tasks = []
    start = time.monotonic()
    for i in range(int(rate * seconds)):
        await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed, first: {failures[0]}")
    lat = await completed_latencies(http, rbase, sent)
    if len(lat) < len(sent):
        raise RuntimeError(f"{len(sent) - len(lat)} completed webhooks missing")
    return pct(lat, 50), pct(lat, 99), len(lat)


async def test_key(redis: Redis, namespace: str) -> str:
    """An Enterprise account with a test-mode key (test keys may simulate), under the bench's namespace."""
    admin = AccountAdmin(redis, GATEWAY_KEY_SECRET, namespace)
    account = await admin.create_account("Bench LLP", Plan.ENTERPRISE, rate_limit_per_minute=100_000)
    key, _ = await admin.create_key(account.id, "test")
    return key


async def main_async(args: argparse.Namespace) -> None:
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:16379/0")
    namespace = f"bench{uuid.uuid4().hex[:8]}."
    await create_topics(bootstrap, namespace, partitions=6)
    rport, sport = free_port(), free_port()
    rbase = f"http://127.0.0.1:{rport}"
    env = {
        "HUB_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "HUB_REDIS_URL": redis_url,
        "HUB_NAMESPACE": namespace,
        "HUB_HTTP_PORT": str(sport),
        "HUB_HTTP_HOST": "127.0.0.1",
        "HUB_ALLOWED_HOSTS": '["127.0.0.1"]',
        "HUB_LOG_LEVEL": "WARNING",
        "HUB_DELIVERY_CONCURRENCY": str(2 * CONCURRENCY),
        "HUB_ENDPOINT_MAX_CONCURRENCY": str(CONCURRENCY),
        "HUB_ENDPOINT_RATE_PER_S": "0",
        "HUB_CONSUMER_BATCH": "500",
        # the gateway (--e2e-gateway, on its own port): its key secret; callbacks to the local receiver allowed
        "HUB_API_KEY_SECRET": GATEWAY_KEY_SECRET,
        "HUB_ALLOW_HTTP_LOOPBACK_CALLBACKS": "true",
    }
    redis = Redis.from_url(redis_url)
    secret = await account_signing_secret(redis, namespace, ACCOUNT)
    service_cmd = ["hub-webhooks"]
    procs = [[sys.executable, __file__, "receiver", "--port", str(rport)], service_cmd]
    if args.e2e or args.e2e_gateway:
        procs.append(["hub-assessments"])
    gport = free_port()
    if args.e2e_gateway:
        procs.append(["hub-gateway"])
    with contextlib.ExitStack() as stack:
        started = {}
        for cmd in procs:
            own = {"HUB_HTTP_PORT": str(gport)} if cmd == ["hub-gateway"] else {}
            started[cmd[-1]] = stack.enter_context(process(cmd, {**env, **own}))
        worker_pids = [started["hub-webhooks"].pid]
        receiver_pid = started[str(rport)].pid
        extra_ports = [free_port() for _ in range(args.workers - 1)]
        for port in extra_ports:  # more webhooks workers on the same Redis and consumer group
            worker_pids.append(stack.enter_context(process(service_cmd, {**env, "HUB_HTTP_PORT": str(port)})).pid)
        await wait_http(f"{rbase}/stats")
        for port in [sport, *extra_ports]:
            await wait_http(f"http://127.0.0.1:{port}/internal/health")
        await asyncio.sleep(3.0)  # let the consumer group settle
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            max_batch_size=256 * 1024,
        )
        await producer.start()
        topic = ASSESSMENT_EVENTS.full_name(namespace)
        try:
            async with aiohttp.ClientSession() as http:
                await through_service(producer, topic, http, rbase, 200, "warmup")
                await bare_client(secret, rbase, 200, "warmup-bare")
                print(f"service CPU per delivery counts {len(worker_pids)} worker process(es)", flush=True)
                for r in range(args.rounds):
                    cpu0, rcv0 = cpu_seconds(worker_pids), cpu_seconds([receiver_pid])
                    red0 = await redis_cpu_seconds(redis)
                    service_rate = await through_service(producer, topic, http, rbase, args.events, f"svc{r}")
                    cpu1, rcv1 = cpu_seconds(worker_pids), cpu_seconds([receiver_pid])
                    red1 = await redis_cpu_seconds(redis)
                    bare_rate, bare_cpu = await bare_client(secret, rbase, args.events, f"bare{r}")
                    rcv2 = cpu_seconds([receiver_pid])
                    per = 1e6 / args.events
                    print(
                        f"round {r + 1}: service {service_rate:,.0f} deliveries/s, bare aiohttp "
                        f"{bare_rate:,.0f} requests/s, ratio {service_rate / bare_rate:.2f}; CPU per delivery: "
                        f"service {(cpu1 - cpu0) * per:.0f} us + Redis {(red1 - red0) * per:.0f} us "
                        f"(receiver {(rcv1 - rcv0) * per:.0f} us), bare client {bare_cpu * per:.0f} us "
                        f"(receiver {(rcv2 - rcv1) * per:.0f} us)",
                        flush=True,
                    )
                if args.isolation:
                    (a50, a99, _), (b50, b99, bn), (c50, c99, _) = await isolation(
                        producer, topic, http, rbase, args.rate, args.seconds
                    )
                    alone99 = (a99 + c99) / 2
                    print(
                        f"isolation at {args.rate:.0f} events/s ({bn} healthy events per run): healthy alone p50/p99 "
                        f"{a50:.1f}/{a99:.1f} ms; beside a 10 s endpoint {b50:.1f}/{b99:.1f} ms; alone again "
                        f"{c50:.1f}/{c99:.1f} ms; p99 beside vs alone (mean) {100 * (b99 - alone99) / alone99:+.0f} %",
                        flush=True,
                    )
                p50, p99, n = await steady_latency(producer, topic, http, rbase, args.rate, args.seconds)
                print(
                    f"steady {args.rate:.0f} events/s for {args.seconds:.0f} s: event produced -> webhook "
                    f"received p50 {p50:.1f} ms, p99 {p99:.1f} ms ({n} events)",
                    flush=True,
                )
                if args.e2e_gateway:
                    await wait_http(f"http://127.0.0.1:{gport}/healthz")
                    key = await test_key(redis, namespace)
                    p50, p99, n = await e2e_through_gateway(
                        f"http://127.0.0.1:{gport}", key, http, rbase, args.e2e_rate, args.seconds
                    )
                    print(
                        f"e2e through the gateway {args.e2e_rate:.0f} assessments/s: POST /v1/assessments sent -> "
                        f"(201, POST .../simulate completed) -> assessment.completed webhook received "
                        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms ({n} assessments)",
                        flush=True,
                    )
                if args.e2e:
                    p50, p99, n = await e2e_latency(
                        bootstrap, namespace, http, rbase, args.e2e_rate, args.seconds
                    )
                    print(
                        f"e2e {args.e2e_rate:.0f} assessments/s: create command produced -> "
                        f"assessment.completed webhook received p50 {p50:.1f} ms, p99 {p99:.1f} ms "
                        f"({n} assessments)",
                        flush=True,
                    )
        finally:
            await producer.stop()
    # the processes have stopped (their keys would otherwise vanish under attempts still in flight)
    async for key in redis.scan_iter(match=f"{namespace}*", count=1000):
        await redis.delete(key)
    await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", nargs="?", default="bench", choices=["bench", "receiver"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--e2e", action="store_true", help="commands straight to Kafka (no gateway)")
    parser.add_argument("--isolation", action="store_true",
                        help="healthy destination's latency alone vs beside one that takes 10 s per request")
    parser.add_argument("--e2e-gateway", action="store_true",
                        help="POST /v1/assessments + POST .../simulate through a real gateway process")
    parser.add_argument("--workers", type=int, default=1, help="hub-webhooks processes")
    parser.add_argument("--e2e-rate", type=float, default=50.0)
    args = parser.parse_args()
    if args.mode == "receiver":
        run_receiver(args.port)
    else:
        asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
