"""Recovery after a CRM outage: how long after the CRM comes back the last lead that
waited through the outage reaches it.

    uv run python -m bench.crm_outage [--rate 20] [--outage-s 60] [--lead-in-s 10]
        [--tail-s 10] [--postgres postgresql://postgres@127.0.0.1:55432/postgres]

The router's outbox relay (``OutboxRelay`` with the generic webhook's ``CrmDeliverer``
and the default outbox settings, as the router wires them) on a fresh PostgreSQL
database migrated to head, against the CRM simulator as a process of its own
(``deploy/crm-simulator``). Leads arrive steadily as the router writes them (one CRM
message per assignment, keyed by lead, the relay woken after each commit). After
``lead-in-s`` the simulator answers 503 to everything (``PUT /control/faults``) for
``outage-s``, then takes requests again; leads keep arriving for ``tail-s``.

Printed: for the leads that arrived during the outage, when each first reached the
CRM counted from the CRM's return (p50 and the last: the figure), the CRM requests
made during the outage, requests per lead, leads the CRM recorded twice (must be 0)
and SQL statements per delivered lead. Target (issue 15): the last within 10 s.
"""

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import event

from bench.router_throughput import drop_postgres, fresh_postgres
from leadrouter_router import models  # noqa: F401  (the complete metadata)
from leadrouter_router.crm import CRM_KIND
from leadrouter_router.crm.client import CrmDeliverer, create_http_client
from leadrouter_router.platform.db import create_engine, migrate, session_factory
from leadrouter_router.platform.outbox import OutboxRelay, enqueue
from leadrouter_router.settings import CrmSettings, OutboxSettings
from leadrouter_runtime.logging import configure_logging
from leadrouter_runtime.settings import LogSettings
from leadrouter_schemas import encode
from tests.support.samples import assigned
from tests.support.servers import free_port


def _now() -> datetime:
    return datetime.now(UTC)


@contextlib.contextmanager
def crm_simulator() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "leadrouter_crm_simulator"],
        env={**os.environ, "CRM_SIMULATOR_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/healthz").is_success:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the CRM simulator did not start")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


async def ledger(control: httpx.AsyncClient) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    while page := (await control.get("/ledger", params={"offset": len(entries)})).json():
        entries.extend(page)
    return entries


async def run(url: str, crm: str, args: argparse.Namespace) -> None:
    engine = create_engine(url)
    await migrate(engine)
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    sessions = session_factory(engine)
    outbox = OutboxSettings()
    crm_settings = CrmSettings(url=f"{crm}/assignments")
    http = create_http_client(crm_settings)
    relay = OutboxRelay(
        sessions=sessions,
        deliverers={CRM_KIND: CrmDeliverer(crm_settings, http)},
        clock=_now,
        poll_interval_s=outbox.poll_interval_s,
        batch_size=outbox.batch_size,
        lease_s=outbox.lease_s,
        backoff_base_s=outbox.backoff_base_s,
        backoff_max_s=outbox.backoff_max_s,
        superseding_kinds={CRM_KIND},
    )
    arrived: dict[str, float] = {}  # idempotency key -> when it was committed
    outage_keys: set[str] = set()
    async with httpx.AsyncClient(base_url=crm) as control:
        relay_task = asyncio.create_task(relay.run())
        start = time.monotonic()
        down_at = start + args.lead_in_s
        up_at = down_at + args.outage_s
        stop_at = up_at + args.tail_s
        went_down = False
        returned_wall: datetime | None = None
        n = 0
        while (moment := time.monotonic()) < stop_at:
            if moment >= down_at and not went_down:
                await control.put("/control/faults", json={"kind": "error", "status": 503})
                went_down = True
                print(f"CRM down at {moment - start:.1f} s")
            if moment >= up_at and returned_wall is None:
                await control.put("/control/faults", json={"kind": "none"})
                returned_wall = _now()
                print(f"CRM back at {moment - start:.1f} s")
            event_ = assigned(f"lead-{n}@example.com", f"outage-{n}")
            key = str(event_.data.assignment_id)
            async with sessions.begin() as session:
                enqueue(
                    session,
                    kind=CRM_KIND,
                    destination="default",
                    key=str(event_.data.lead_id),
                    payload=encode(event_).decode(),
                    idempotency_key=key,
                    now=_now(),
                )
            relay.wake()
            arrived[key] = moment
            if down_at <= moment < up_at:
                outage_keys.add(key)
            n += 1
            await asyncio.sleep(max(0.0, start + n / args.rate - time.monotonic()))
        deadline = time.monotonic() + args.timeout_s
        while True:
            entries = await ledger(control)
            recorded = {e["idempotency_key"] for e in entries if e["recorded"]}
            if recorded >= set(arrived) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)
    await http.aclose()
    await engine.dispose()

    assert returned_wall is not None
    first: dict[str, datetime] = {}
    during = 0
    for entry in entries:
        at = datetime.fromisoformat(entry["received_at"])
        if entry["recorded"] and entry["idempotency_key"] not in first:
            first[entry["idempotency_key"]] = at
        if entry["answered"] >= 500:
            during += 1
    missing = set(arrived) - set(first)
    after_return = sorted(
        (first[key] - returned_wall).total_seconds() for key in outage_keys if key in first
    )
    twice = sum(e["recorded"] for e in entries) - len(first)
    print(
        f"{len(arrived)} leads at {args.rate:g}/s, {len(outage_keys)} during a "
        f"{args.outage_s:g} s outage; {len(missing)} not delivered"
    )
    p50, soonest, last = statistics.median(after_return), after_return[0], after_return[-1]
    print(
        f"outage leads reached the CRM after its return: first {soonest:.1f} s, "
        f"p50 {p50:.1f} s, last {last:.1f} s (drained at {len(after_return) / (last - soonest):.0f}"
        " leads/s)"
    )
    print(
        f"CRM requests answered 503: {during}; requests per lead {len(entries) / len(arrived):.2f}"
        f"; recorded twice: {twice}; SQL statements per lead {statements / len(arrived):.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=20.0, help="leads per second")
    parser.add_argument("--outage-s", type=float, default=60.0)
    parser.add_argument("--lead-in-s", type=float, default=10.0)
    parser.add_argument("--tail-s", type=float, default=10.0)
    parser.add_argument("--timeout-s", type=float, default=600.0, help="wait for the backlog")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:55432/postgres")
    args = parser.parse_args()
    configure_logging(LogSettings(level="ERROR"))  # the retries' warnings are expected
    name, url = asyncio.run(fresh_postgres(args.postgres))
    try:
        with crm_simulator() as crm:
            asyncio.run(run(url, crm, args))
    finally:
        asyncio.run(drop_postgres(args.postgres, name))


if __name__ == "__main__":
    main()
