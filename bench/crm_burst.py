"""A campaign burst through the outbox relay to the CRM simulator in a limit mode.

    uv run python -m bench.crm_burst [--crm hubspot|salesforce|both] [--leads 5000]
        [--relays 2] [--database-url sqlite+aiosqlite:///...|postgresql+asyncpg://...]
        [--timeout-s 300] [--window-requests 100]

N ``lead.assigned`` CRM messages (each a lead of its own e-mail, an owner with a CRM id)
are written to the outbox of a fresh database migrated to head; ``--relays`` relays,
each with its own engine like router replicas, deliver them with the router's own
``CrmDeliverer`` (the adapter of the kind, the account's shared budget when the
deliverer takes ``sessions``) to the simulator started as a process in the limit mode
of that CRM (``--mode hubspot-limits``: 100 requests per rolling 10 s per token
(``--window-requests``), 5 searches/s, 100 inputs a batch, 3 s search lag;
``--mode salesforce-limits``: 15,000 requests a day, 200 records a collection).

Printed per CRM: seconds from the start to the last delivery, leads delivered, calls
the simulator answered, of which refused by its limits (429 / REQUEST_LIMIT_EXCEEDED),
duplicates (notes or tasks of one assignment made twice; must be 0), the load average.
A run that does not finish within ``--timeout-s`` reports how far it got: the rate is
then extrapolated to N. The script measures whatever ``CrmDeliverer`` the checkout has,
so the same file run on the code before batching gives the one-at-a-time figures.
"""

import argparse
import asyncio
import contextlib
import inspect
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import func, select

from leadrouter_router.crm.client import CrmDeliverer, create_http_client
from leadrouter_router.platform.db import create_engine, migrate, session_factory
from leadrouter_router.platform.outbox import (
    DELIVERED,
    OutboxRelay,
    OutboxRow,
    enqueue_all,
    pending_message,
)
from leadrouter_router.settings import CrmSettings, HubSpotSettings, SalesforceSettings
from leadrouter_runtime.logging import configure_logging
from leadrouter_runtime.settings import LogSettings
from leadrouter_schemas import LeadAssigned, encode
from tests.router.crm.support import event

TOKEN = "pat-bench-0123456789"  # the simulator's limits are per token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def assignment(n: int) -> LeadAssigned:
    return event(f"lead{n}@burst{n % 97}.example", crm_user_id=f"005xx{n % 20:010d}")


async def wait_until_up(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{url}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError("the simulator did not start")


def deliverer(crm: CrmSettings, client: httpx.AsyncClient, sessions: Any) -> CrmDeliverer:
    if "sessions" in inspect.signature(CrmDeliverer).parameters:
        return CrmDeliverer(crm, client, sessions=sessions)
    return CrmDeliverer(crm, client)  # the code before the shared budget


async def burst(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = os.environ | {"CRM_SIMULATOR_PORT": str(port)}
    simulator = subprocess.Popen(  # noqa: ASYNC220  (started once, before the clock)
        [sys.executable, "-m", "leadrouter_crm_simulator", "--mode", f"{kind}-limits"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    folder = tempfile.TemporaryDirectory()
    database_url = args.database_url or f"sqlite+aiosqlite:///{Path(folder.name) / 'router.db'}"
    engines = [create_engine(database_url) for _ in range(args.relays)]
    try:
        await wait_until_up(url)
        async with httpx.AsyncClient(base_url=url) as control:
            limits = (await control.get("/control/limits")).json()
            limits["window_requests"] = args.window_requests
            await control.put("/control/limits", json=limits)
        await migrate(engines[0])
        sessions = [session_factory(engine) for engine in engines]
        async with sessions[0].begin() as session:
            now = datetime.now(UTC)
            await enqueue_all(
                session,
                [
                    pending_message(
                        kind="crm",
                        destination=kind,
                        key=str(event.data.lead_id),
                        payload=encode(event).decode(),
                        idempotency_key=str(event.data.assignment_id),
                        now=now,
                    )
                    for event in (assignment(n) for n in range(args.leads))
                ],
            )
        crm = CrmSettings(
            kind=kind,
            token=SecretStr(TOKEN),
            hubspot=HubSpotSettings(base_url=url),
            salesforce=SalesforceSettings(instance_url=url),
        )
        clients = [create_http_client(crm) for _ in engines]
        relays = [
            OutboxRelay(
                sessions=s,
                deliverers={"crm": deliverer(crm, client, s)},
                clock=lambda: datetime.now(UTC),
                poll_interval_s=0.2,
                batch_size=200 if kind == "salesforce" else 100,
                lease_s=60,
                backoff_base_s=0.5,
                backoff_max_s=300,
                superseding_kinds={"crm"},
            )
            for s, client in zip(sessions, clients, strict=True)
        ]
        started = datetime.now(UTC)
        clock = time.monotonic()
        tasks = [asyncio.create_task(relay.run()) for relay in relays]
        delivered = 0
        while time.monotonic() - clock < args.timeout_s:
            await asyncio.sleep(0.5)
            async with sessions[0]() as session:
                delivered = (
                    await session.scalar(select(func.count()).where(OutboxRow.status == DELIVERED))
                    or 0
                )
            if delivered >= args.leads:
                break
        elapsed_wall = time.monotonic() - clock
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for client in clients:
            await client.aclose()
        async with sessions[0]() as session:
            last = await session.scalar(select(func.max(OutboxRow.delivered_at)))
        async with httpx.AsyncClient(base_url=url) as control:
            stats = (await control.get("/stats")).json()
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        to_last = (last - started).total_seconds() if last is not None else float("nan")
        finished = delivered >= args.leads
        return {
            "crm": kind,
            "leads": args.leads,
            "delivered": delivered,
            "seconds_to_last": to_last if finished else elapsed_wall,
            "finished": finished,
            "extrapolated_s": to_last
            if finished
            else args.leads / max(delivered, 1) * elapsed_wall,
            "calls": stats["calls"],
            "refused": stats["refused_by_limits"],
            "answers": stats["answers"],
            "duplicates": stats["duplicate_notes"]
            + stats["duplicate_tasks"]
            + stats["duplicate_contacts"],
            "load": os.getloadavg()[0],
        }
    finally:
        for engine in engines:
            await engine.dispose()
        simulator.terminate()
        simulator.wait(timeout=30)
        folder.cleanup()


def report(result: dict[str, Any]) -> None:
    state = (
        "finished"
        if result["finished"]
        else (
            f"NOT finished: {result['delivered']} delivered, "
            f"~{result['extrapolated_s']:.0f} s for all"
        )
    )
    print(
        f"{result['crm']:<10} {result['leads']} leads: {result['seconds_to_last']:.1f} s to the "
        f"last delivery ({state}); {result['calls']} calls, {result['refused']} refused by the "
        f"limits, {result['duplicates']} duplicates; answers {result['answers']}; "
        f"load {result['load']:.2f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--crm", choices=["hubspot", "salesforce", "both"], default="both")
    parser.add_argument("--leads", type=int, default=5000)
    parser.add_argument("--relays", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--timeout-s", type=float, default=300)
    parser.add_argument("--window-requests", type=int, default=100)
    args = parser.parse_args()
    configure_logging(LogSettings(level="ERROR"))  # a retry is a warning: thousands before
    for kind in ["hubspot", "salesforce"] if args.crm == "both" else [args.crm]:
        report(await burst(kind, args))


if __name__ == "__main__":
    asyncio.run(main())
