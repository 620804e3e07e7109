"""What one scorer process takes at its webhook, on loopback (decision 0103).

    uv run python bench/scorer_intake.py --bootstrap 127.0.0.1:29092 [--seconds 15]
        [--concurrency 32] [--offered 200 --leads 6000]

Starts ``python -m leadrouter_scorer`` (its consumer too, as in production) on a free
loopback port with a generic secret, against topics of its own on the given broker,
then:

- capacity: ``--concurrency`` clients post signed leads back to back for ``--seconds``
  (closed loop): accepted leads per second, latency p50/p99, and every other answer;
- offered load (``--offered N/s`` for ``--leads``): leads sent at a fixed rate, as a
  campaign burst arrives; counts each answer (the issue's case: 6,000 at 200/s).

Bounded: at most ``--seconds`` of closed loop and ``--leads`` of offered load, loopback
only; the scorer is stopped and the topics deleted afterwards.
"""

import argparse
import asyncio
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import SecretStr

from leadrouter_runtime import standard_webhooks
from leadrouter_runtime.topics import ensure_topics, load_specs

ROOT = Path(__file__).resolve().parents[1]
SECRET = "whsec_" + base64.b64encode(os.urandom(24)).decode()


def signed_lead(n: int) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "campaign_id": "bench",
            "external_id": f"bench-{uuid.uuid4().hex}-{n}",
            "contact": {"email": f"lead{n}@bench.example", "first_name": "Ada", "country": "GB"},
            "company": {"name": "Analytical Engines"},
            "answers": {"interest": "demo"},
        }
    ).encode()
    signed = standard_webhooks.headers(
        [SecretStr(SECRET)], webhook_id=f"msg_{n}", timestamp=int(time.time()), body=body
    )
    return body, {"Content-Type": "application/json", **signed}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (``/proc/PID/stat`` fields 14-15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def closed_loop(url: str, *, concurrency: int, seconds: float, pid: int) -> None:
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def worker(offset: int) -> None:
            n = offset
            while time.perf_counter() < deadline:
                body, headers = signed_lead(n)
                started = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] += 1
                n += concurrency

        started = time.perf_counter()
        cpu_before = cpu_seconds(pid)
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(pid) - cpu_before
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"capacity: {statuses[202] / elapsed:.0f} accepted leads/s "
        f"({concurrency} clients, {elapsed:.1f} s), latency p50 {cuts[49] * 1000:.1f} ms "
        f"p99 {cuts[98] * 1000:.1f} ms, answers {dict(sorted(statuses.items()))}"
    )
    # What carries to other machines: the scorer process's CPU (its intake and, as in
    # production, its consumer scoring the same leads) per 1,000 accepted leads.
    print(
        f"scorer CPU: {cpu * 1000 / max(1, statuses[202]):.2f} s per 1,000 leads; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


async def offered_load(url: str, *, rate: float, leads: int, statuses: Counter[int]) -> None:
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one(n: int) -> None:
            body, headers = signed_lead(n)
            try:
                statuses[(await client.post(url, content=body, headers=headers)).status_code] += 1
            except httpx.HTTPError as error:
                statuses[type(error).__name__] += 1  # type: ignore[index]

        started = time.perf_counter()
        tasks = []
        for n in range(leads):
            delay = started + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the offered load, not synchronisation
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    print(
        f"offered {rate:.0f}/s x {leads}: {statuses[202]} accepted, answers "
        f"{dict(sorted(statuses.items(), key=str))} in {elapsed:.1f} s"
    )


async def delete_topics(bootstrap: str, prefix: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.startswith(prefix)]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()


async def main_async(args: argparse.Namespace) -> None:
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    await ensure_topics(
        args.bootstrap, load_specs(ROOT / "deploy/kafka/topics.toml"), prefix=prefix
    )
    with tempfile.NamedTemporaryFile(suffix=".log") as log:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        env = {
            **os.environ,
            "SCORER_HTTP__PORT": str(port),
            "SCORER_KAFKA__BOOTSTRAP_SERVERS": args.bootstrap,
            "SCORER_KAFKA__TOPIC_PREFIX": prefix,
            "SCORER_KAFKA__GROUP_ID": f"{prefix}scorer",
            "SCORER_ACCEPT_UNKNOWN_CAMPAIGNS": "true",
            "SCORER_LOG__LEVEL": "WARNING",
            "SCORER_WEBHOOKS__GENERIC__SECRETS": json.dumps([SECRET]),
        }
        process = subprocess.Popen(  # noqa: ASYNC220 (started once, before any load)
            [sys.executable, "-m", "leadrouter_scorer"], env=env, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        # Bounded: the offered load ends when its leads are sent and answered, or here.
        deadline_s = args.seconds + args.leads / args.offered + 60
        try:
            async with httpx.AsyncClient(timeout=2) as client:
                for _ in range(600):
                    try:
                        if (await client.get(f"{base}/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)  # waiting for start-up, bounded
                else:
                    raise SystemExit(f"the scorer did not start; its log: {log.name}")
            url = f"{base}/v1/webhooks/generic"
            await closed_loop(
                url, concurrency=args.concurrency, seconds=args.seconds, pid=process.pid
            )
            if args.leads:
                statuses: Counter[int] = Counter()
                try:
                    await asyncio.wait_for(
                        offered_load(url, rate=args.offered, leads=args.leads, statuses=statuses),
                        deadline_s,
                    )
                except TimeoutError:
                    print(
                        f"offered load: not all answered within {deadline_s:.0f} s; answers "
                        f"so far {dict(sorted(statuses.items(), key=str))}"
                    )
        finally:
            process.terminate()
            process.wait(timeout=30)
            await delete_topics(args.bootstrap, prefix)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", default="127.0.0.1:29092")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--offered", type=float, default=200.0)
    parser.add_argument("--leads", type=int, default=6000)
    asyncio.run(main_async(parser.parse_args()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
