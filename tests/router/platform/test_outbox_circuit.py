"""The relay's circuit per destination, against the CRM simulator (both databases):
while the CRM answers 503 the relay probes it with one message at a time instead of
trying and backing off every message; once a probe gets through, every message is
delivered, each recorded exactly once by the CRM."""

import httpx
from prometheus_client import CollectorRegistry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrouter_crm_simulator.app import create_app as create_crm
from leadrouter_router import models  # noqa: F401  (the complete metadata)
from leadrouter_router.crm.client import CrmDeliverer
from leadrouter_router.platform.circuit import CircuitPolicy, Destination
from leadrouter_router.platform.metrics import OutboxMetrics
from leadrouter_router.platform.outbox import OutboxRow, enqueue
from leadrouter_router.settings import CrmSettings
from leadrouter_schemas import encode
from tests.router.platform.support import all_delivered, now, relay_of, running
from tests.support.samples import assigned
from tests.support.servers import serving
from tests.support.waiting import eventually

LEADS = 30
IN_FLIGHT = 5  # the relay's batch: what it may have tried before the circuit opened
THRESHOLD = 3
DESTINATION = ("crm", "default")


async def test_an_open_circuit_probes_then_every_message_is_delivered_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    transitions: list[bool] = []
    registry = CollectorRegistry()
    metrics = OutboxMetrics(registry)
    open_circuits: list[float | None] = []

    def circuit_changed(destination: Destination, now_open: bool) -> None:
        transitions.append(now_open)
        metrics.circuit_changed(destination, now_open)
        open_circuits.append(
            registry.get_sample_value("router_outbox_circuits_open", {"kind": "crm"})
        )

    async with (
        serving(create_crm()) as crm_url,
        httpx.AsyncClient(base_url=crm_url) as crm,
        httpx.AsyncClient(timeout=5) as client,
    ):
        relay = relay_of(
            sessions,
            {"crm": CrmDeliverer(CrmSettings(url=f"{crm_url}/assignments"), client)},
            batch_size=IN_FLIGHT,
            lease_s=30,
            # Without the circuit, every message would be tried over and over.
            backoff_s=(0.01, 0.02),
            superseding_kinds={"crm"},
            circuit=CircuitPolicy(failure_threshold=THRESHOLD, probe_interval_s=0.05),
            on_circuit=circuit_changed,
        )
        await crm.put("/control/faults", json={"kind": "error", "status": 503})
        keys = []
        async with sessions.begin() as session:
            for n in range(LEADS):
                event = assigned(f"lead-{n}@example.com")
                keys.append(str(event.data.assignment_id))
                enqueue(
                    session,
                    kind="crm",
                    destination="default",
                    key=str(event.data.lead_id),
                    payload=encode(event).decode(),
                    idempotency_key=keys[-1],
                    now=now(),
                )

        async def requests() -> int:
            return len((await crm.get("/ledger", params={"limit": 10_000})).json())

        async def probed_a_while() -> bool:
            return relay.circuits.is_open(DESTINATION) and await requests() >= 4 * LEADS

        async with running(relay):
            await eventually(probed_a_while, timeout_s=60, what="probes while the CRM is down")
            async with sessions() as session:
                attempts = dict(
                    (await session.execute(select(OutboxRow.id, OutboxRow.attempts))).all()
                )
            await crm.put("/control/faults", json={"kind": "none"})
            await eventually(
                lambda: all_delivered(sessions), timeout_s=60, what="every message delivered"
            )
        ledger = (await crm.get("/ledger", params={"limit": 10_000})).json()

    # While the circuit was open, the CRM's requests were probes of one message (the
    # oldest head), not attempts of every message: most were never tried at all (those
    # tried failed before the circuit opened, or were in flight when it did).
    tried = [n for n in attempts.values() if n > 0]
    assert len(tried) <= THRESHOLD - 1 + IN_FLIGHT
    assert sorted(tried)[-1] >= 3 * LEADS  # the probed message took (nearly) all requests
    assert transitions[:2] == [True, False]
    assert open_circuits[:2] == [1, 0]  # the gauge, by kind
    recorded = [entry["idempotency_key"] for entry in ledger if entry["recorded"]]
    assert sorted(recorded) == sorted(keys)  # every assignment, each exactly once
