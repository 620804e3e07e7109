"""The whole pipeline as a user runs it: HTTP webhook (generic, unsigned, as the README
shows) -> scorer -> broker -> router (PostgreSQL) -> CRM simulator (plain mode).

The CRM simulator, the scorer and the router are subprocesses against fresh topics (a
prefix of their own) and a fresh PostgreSQL database; this process is the load
generator (aiohttp: httpx cost this process 6 CPU-s per 1,000 leads, as much as the
router, on the same two cores). Latency is webhook sent -> CRM received: the time just before each
POST against the simulator's receipt time of that lead's assignment (its
``X-Correlation-ID``), both on this machine's clock. Three phases, after a warm-up:

- idle: one lead at a time, the next once the CRM has the previous one;
- offered rate: leads sent on a fixed schedule (200/s by default) whatever the answers;
- saturation: N leads with a fixed number in flight; leads/s from the first webhook
  sent to the last CRM receipt. CPU-seconds per 1,000 leads and peak RSS of every
  process are taken over this phase.
"""

import asyncio
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp

from bench.figures import Figure
from bench.router_throughput import drop_postgres, fresh_postgres
from bench.scorer_throughput import TOPICS_FILE, cpu_seconds, delete_topics, peak_rss_mb
from bench.stores import cpu_now
from leadrouter_runtime.topics import ensure_topics, load_specs
from tests.support.servers import free_port

CONNECTIONS = 128  # the load generator's requests in flight at most


@dataclass(frozen=True)
class Sizes:
    idle: int = 50
    rate: float = 200.0
    rate_seconds: float = 10.0
    saturation: int = 5000
    in_flight: int = 64


@dataclass
class Phase:
    """The leads of one phase: when each was sent, and what the webhook answered."""

    name: str
    sent: dict[str, float] = field(default_factory=dict)
    statuses: list[int] = field(default_factory=list)

    def refused(self) -> int:
        """Answered other than 2xx, or not at all."""
        return sum(1 for s in self.statuses if not 200 <= s < 300)

    def refusals(self) -> str:
        """The statuses of the refused, ``0`` for never answered: ``"429 x12, 0 x1"``."""
        counted = Counter(s for s in self.statuses if not 200 <= s < 300)
        return ", ".join(f"{status} x{n}" for status, n in counted.most_common())


class Service:
    def __init__(self, name: str, module: str, env: dict[str, str], logs: Path) -> None:
        self.name = name
        with (logs / f"pipeline-{name}.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", module],
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def until(
    check: Callable[[], Awaitable[bool]], *, timeout_s: float, what: str, every_s: float = 0.2
) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not after {timeout_s:.0f}s")
        await asyncio.sleep(every_s)


def lead_body(run: str, n: int) -> dict[str, Any]:
    # Valid, scored, distinct people (a repeated e-mail would join an earlier lead).
    return {
        "campaign_id": "bench",
        "external_id": f"{run}-{n}",
        "contact": {
            "email": f"lead-{run}-{n}@company{n % 97}.example",
            "first_name": "Ada",
            "job_title": ("CTO", "Head of Sales", "Director of IT", "Engineer")[n % 4],
            "country": "US",
        },
        "company": {"name": f"Company {n % 97}", "employees": (40, 250, 5000)[n % 3]},
        "answers": {"interest": "demo", "timeline": "this quarter"},
    }


TRANSPORT_ERRORS = (aiohttp.ClientConnectionError, asyncio.TimeoutError)


class Pipeline:
    def __init__(self, http: aiohttp.ClientSession, urls: dict[str, str]) -> None:
        self.http = http
        self.urls = urls
        self.run = uuid.uuid4().hex[:8]
        self.count = 0
        self.ledger_offset = 0
        self.recorded = 0
        self.recorded_before = 0
        self.slots = asyncio.Semaphore(CONNECTIONS)

    async def post(self, phase: Phase, *, scheduled: float | None = None) -> None:
        """One lead to the webhook; its latency counts from ``scheduled`` (the time it
        was due, when the schedule is fixed) or from now."""
        self.count += 1
        cid = f"bench-{self.run}-{self.count}"
        body = lead_body(self.run, self.count)
        phase.sent[cid] = time.time() if scheduled is None else scheduled
        status = 0  # never answered
        for _ in range(3):
            try:
                async with (
                    self.slots,
                    self.http.post(
                        self.urls["scorer"] + "/v1/webhooks/generic",
                        json=body,
                        headers={"X-Correlation-ID": cid},
                    ) as response,
                ):
                    await response.read()
            except TRANSPORT_ERRORS:
                # A kept-alive connection the server closed meanwhile: sent again, as a
                # platform would; the same submission id is one lead (a redelivery).
                continue
            status = response.status
            break
        phase.statuses.append(status)

    async def crm_has(self, total: int) -> bool:
        """Whether the CRM simulator has recorded ``total`` assignments by now."""
        while True:
            try:
                async with self.http.get(
                    self.urls["crm"] + "/ledger",
                    params={"offset": self.ledger_offset, "limit": 10_000},
                ) as answer:
                    page = await answer.json()
            except TRANSPORT_ERRORS:
                return False  # asked again at the next poll
            self.ledger_offset += len(page)
            self.recorded += sum(1 for entry in page if entry["recorded"])
            if len(page) < 10_000:
                return self.recorded >= total

    async def receipts(self, phase: Phase) -> dict[str, float]:
        found: dict[str, float] = {}
        for request in await self.get_again(self.urls["crm"] + "/requests"):
            cid = request.get("correlation_id")
            if cid in phase.sent and request["answered"] < 300:
                at = datetime.fromisoformat(request["received_at"]).timestamp()
                found[cid] = min(at, found.get(cid, at))
        return found

    async def get_again(self, url: str) -> Any:
        """The JSON at ``url``, asked up to three times."""
        for attempt in range(3):
            try:
                async with self.http.get(url) as answer:
                    return await answer.json()
            except TRANSPORT_ERRORS:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def wait_delivered(self, phase: Phase, *, timeout_s: float) -> dict[str, float]:
        accepted = len(phase.statuses) - phase.refused()
        target = self.recorded_before + accepted
        await until(lambda: self.crm_has(target), timeout_s=timeout_s, what=phase.name)
        return await self.receipts(phase)

    def start_phase(self, name: str) -> Phase:
        self.recorded_before = self.recorded
        return Phase(name)

    async def one_at_a_time(self, name: str, count: int) -> tuple[Phase, dict[str, float]]:
        phase = self.start_phase(name)
        for _ in range(count):
            target = self.recorded + 1
            await self.post(phase)
            await until(partial(self.crm_has, target), timeout_s=60, what=name, every_s=0.02)
        return phase, await self.receipts(phase)

    async def offered(self, rate: float, seconds: float) -> tuple[Phase, dict[str, float]]:
        phase = self.start_phase("offered rate")
        count = max(1, int(rate * seconds))
        started, wall = time.monotonic(), time.time()
        tasks = []
        for n in range(count):
            delay = started + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.post(phase, scheduled=wall + n / rate)))
        await asyncio.gather(*tasks)
        return phase, await self.wait_delivered(phase, timeout_s=120 + count / 20)

    async def saturate(self, count: int, in_flight: int) -> tuple[Phase, dict[str, float]]:
        phase = self.start_phase("saturation")
        left = iter(range(count))

        async def sender() -> None:
            for _ in left:
                await self.post(phase)

        await asyncio.gather(*(sender() for _ in range(in_flight)))
        return phase, await self.wait_delivered(phase, timeout_s=120 + count / 20)


def latencies(phase: Phase, received: dict[str, float]) -> list[float]:
    return sorted(
        (received[cid] - sent) * 1000 for cid, sent in phase.sent.items() if cid in received
    )


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def latency_figure(key: str, label: str, phase: Phase, received: dict[str, float]) -> Figure:
    values = latencies(phase, received)
    refused = phase.refused()
    return Figure(
        key=key,
        label=label,
        p50_ms=percentile(values, 50),
        p95_ms=percentile(values, 95),
        p99_ms=percentile(values, 99),
        note=f"{refused} refused by the webhook ({phase.refusals()})" if refused else "",
    )


def system(
    bootstrap: str, prefix: str, db_url: str, logs: Path
) -> tuple[list[Service], dict[str, str]]:
    ports = {name: free_port() for name in ("crm", "scorer", "router")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    kafka = {"BOOTSTRAP_SERVERS": bootstrap, "TOPIC_PREFIX": prefix}
    services = [
        Service(
            "crm",
            "leadrouter_crm_simulator",
            {"CRM_SIMULATOR_PORT": str(ports["crm"]), "CRM_SIMULATOR_MODE": "off"},
            logs,
        ),
        Service(
            "scorer",
            "leadrouter_scorer",
            {
                "SCORER_HTTP__PORT": str(ports["scorer"]),
                "SCORER_KAFKA__GROUP_ID": f"{prefix}scorer",
                "SCORER_ACCEPT_UNKNOWN_CAMPAIGNS": "true",
                **{f"SCORER_KAFKA__{k}": v for k, v in kafka.items()},
            },
            logs,
        ),
        Service(
            "router",
            "leadrouter_router",
            {
                "ROUTER_HTTP__PORT": str(ports["router"]),
                "ROUTER_KAFKA__GROUP_ID": f"{prefix}router",
                "ROUTER_DB__URL": db_url,
                "ROUTER_CRM__URL": f"{urls['crm']}/assignments",
                "ROUTER_SEED_DEMO_SALESPEOPLE": "true",
                **{f"ROUTER_KAFKA__{k}": v for k, v in kafka.items()},
            },
            logs,
        ),
    ]
    return services, urls


async def ready(http: aiohttp.ClientSession, services: list[Service], urls: dict[str, str]) -> None:
    for service in services:
        path = "/healthz" if service.name == "crm" else "/readyz"

        async def up(service: Service = service, path: str = path) -> bool:
            if service.process.poll() is not None:
                raise RuntimeError(f"{service.name} exited; see its log in var/bench")
            try:
                async with http.get(urls[service.name] + path) as answer:
                    return answer.status == 200
            except TRANSPORT_ERRORS:
                return False

        await until(up, timeout_s=120, what=f"{service.name} ready")


async def pipeline(bootstrap: str, postgres: str, sizes: Sizes, logs: Path) -> list[Figure]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}."
    specs = load_specs(TOPICS_FILE)
    await ensure_topics(bootstrap, specs, prefix=prefix)
    db_name, db_url = await fresh_postgres(postgres)
    services, urls = system(bootstrap, prefix, db_url, logs)
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    timeout = aiohttp.ClientTimeout(sock_read=60.0)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            await ready(http, services, urls)
            run = Pipeline(http, urls)
            await run.one_at_a_time("warm-up", 5)
            idle = await run.one_at_a_time("idle", sizes.idle)
            offered = await run.offered(sizes.rate, sizes.rate_seconds)
            pids = {s.name: s.process.pid for s in services}
            cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
            mine = cpu_now()
            saturation, received = await run.saturate(sizes.saturation, sizes.in_flight)
            spent = {name: cpu_seconds(pid) - cpu[name] for name, pid in pids.items()}
            spent["load"] = cpu_now() - mine
            rss = {name: peak_rss_mb(pid) for name, pid in pids.items()}
            rss["load"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        for service in reversed(services):
            service.stop()
        await drop_postgres(postgres, db_name)
        await delete_topics(bootstrap, [prefix + spec.name for spec in specs])
    span_s = max(received.values()) - min(saturation.sent.values())
    per_1000 = 1000 / len(received)
    processes = {
        "scorer": "scorer",
        "router": "router (PostgreSQL)",
        "crm": "CRM simulator",
        "load": "load generator (aiohttp) and bench",
    }
    refused = saturation.refused()
    return [
        latency_figure("pipeline.idle", "pipeline latency, idle (one lead at a time)", *idle),
        latency_figure(
            "pipeline.offered",
            f"pipeline latency at {sizes.rate:.0f} leads/s offered",
            *offered,
        ),
        Figure(
            key="pipeline.saturation",
            label=f"pipeline saturation ({sizes.saturation:,} leads, {sizes.in_flight} in flight)",
            rate=len(received) / span_s,
            baseline="drain.raw",
            note=f"{refused} refused by the webhook ({saturation.refusals()})" if refused else "",
        ),
        latency_figure(
            "pipeline.saturation_latency", "pipeline latency at saturation", saturation, received
        ),
        *(
            Figure(
                key=f"pipeline.process.{name}",
                label=f"pipeline process: {label}",
                cpu_s_per_1000=spent[name] * per_1000,
                peak_rss_mb=rss[name],
            )
            for name, label in processes.items()
        ),
    ]


def main() -> None:
    """Only the pipeline, for working on it: ``uv run python -m bench.pipeline``."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:29092")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:55432/postgres")
    parser.add_argument("--idle", type=int, default=Sizes.idle)
    parser.add_argument("--rate", type=float, default=Sizes.rate)
    parser.add_argument("--rate-seconds", type=float, default=Sizes.rate_seconds)
    parser.add_argument("--saturation", type=int, default=Sizes.saturation)
    parser.add_argument("--in-flight", type=int, default=Sizes.in_flight)
    parser.add_argument("--logs", type=Path, default=Path("var/bench"))
    args = parser.parse_args()
    args.logs.mkdir(parents=True, exist_ok=True)
    sizes = Sizes(args.idle, args.rate, args.rate_seconds, args.saturation, args.in_flight)
    for figure in asyncio.run(pipeline(args.bootstrap, args.postgres, sizes, args.logs)):
        cost = f"  {figure.cpu_s_per_1000:.2f} CPU-s/1000" if figure.cpu_s_per_1000 else ""
        print(f"{figure.label}: {figure.text()}{cost} {figure.note}".rstrip())


if __name__ == "__main__":
    main()
