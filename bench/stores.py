"""The router's consumer path against a store-only consumer, on PostgreSQL and SQLite:
``bench/router_throughput.py``'s seed, records, baseline and routing, run in one
subprocess per backend on a fresh database, its figures handed back as JSON."""

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import uuid
from pathlib import Path

from bench.figures import Figure
from bench.router_engine import build_world
from bench.router_throughput import (
    drop_postgres,
    fresh_postgres,
    records,
    route_all,
    seed,
    store_only,
)
from leadrouter_runtime.logging import configure_logging
from leadrouter_runtime.settings import LogSettings

BACKENDS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


def cpu_now() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def worker(url: str, leads: int, batch: int) -> dict[str, float]:
    configure_logging(LogSettings(level="WARNING"))
    rng = random.Random(7)
    await seed(url, build_world(rng))
    values = records(leads, rng)
    batches = [values[i : i + batch] for i in range(0, len(values), batch)]
    cpu = cpu_now()
    stored_s = await store_only(url, batches)
    cpu, store_cpu = cpu_now(), cpu_now() - cpu
    routed = await route_all(url, batches)
    # route_all returns its elapsed seconds (and, in some versions, the outcomes).
    routed_s = float(routed[0] if isinstance(routed, tuple) else routed)
    return {
        "store_rate": leads / stored_s,
        "router_rate": leads / routed_s,
        "store_cpu": store_cpu / leads * 1000,
        "router_cpu": (cpu_now() - cpu) / leads * 1000,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run(url: str, leads: int, batch: int, log: Path) -> dict[str, float]:
    with log.open("ab") as stderr:
        done = subprocess.run(
            [sys.executable, "-m", "bench.stores", "--worker", url,
             "--leads", str(leads), "--batch", str(batch)],
            check=True, stdout=subprocess.PIPE, stderr=stderr,
        )  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


def backend_figures(backend: str, result: dict[str, float]) -> list[Figure]:
    name = BACKENDS[backend]
    return [
        Figure(
            key=f"store.{backend}",
            label=f"store-only consumer, {name}",
            rate=result["store_rate"],
            cpu_s_per_1000=result["store_cpu"],
        ),
        Figure(
            key=f"router.{backend}",
            label=f"router consumer, {name}",
            rate=result["router_rate"],
            baseline=f"store.{backend}",
            cpu_s_per_1000=result["router_cpu"],
            peak_rss_mb=result["peak_rss_mb"],
        ),
    ]


def stores(postgres: str, leads: int, logs: Path, *, batch: int = 500) -> list[Figure]:
    """Both backends, each store-only then router in one process on a fresh database."""
    figures = []
    name, url = asyncio.run(fresh_postgres(postgres))
    try:
        figures += backend_figures("postgresql", run(url, leads, batch, logs / "stores.log"))
    finally:
        asyncio.run(drop_postgres(postgres, name))
    path = logs / f"bench-router-{uuid.uuid4().hex[:8]}.db"
    try:
        sqlite = f"sqlite+aiosqlite:///{path}"
        figures += backend_figures("sqlite", run(sqlite, leads, batch, logs / "stores.log"))
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", required=True)
    parser.add_argument("--leads", type=int, required=True)
    parser.add_argument("--batch", type=int, required=True)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(worker(args.worker, args.leads, args.batch))))


if __name__ == "__main__":
    main()
