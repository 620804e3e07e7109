"""Shared by the CRM delivery tests: settings with keys, leads in, what came out."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from leadrouter_router.crm.client import CrmDeliverer, create_http_client
from leadrouter_router.platform.outbox import OutboxMessage
from leadrouter_router.settings import (
    ApiKey,
    AuthSettings,
    CrmSettings,
    DatabaseSettings,
    HubSpotSettings,
    OutboxSettings,
    SalesforceSettings,
    Settings,
)
from leadrouter_schemas import (
    Company,
    LeadAssigned,
    LeadAssignedData,
    LeadScored,
    Salesperson,
    encode,
    topics,
)
from tests.support import samples
from tests.support.kafka import produce, service_kafka
from tests.support.samples import scored as sample_scored
from tests.support.servers import serving
from tests.support.waiting import eventually

ADMIN_KEY = "admin-key-0123456789abcdef"
READ_KEY = "read-key-0123456789abcdef"
ADMIN = {"X-API-Key": ADMIN_KEY}
READ = {"X-API-Key": READ_KEY}
HUBSPOT_TOKEN = "pat-na1-0123456789"
SALESFORCE_TOKEN = "00Dxx0000001gPL!AQ0AQ"


def hubspot(base_url: str, *, token: str = HUBSPOT_TOKEN, **changes: Any) -> CrmSettings:
    """The router's settings for HubSpot's API at ``base_url`` (the CRM simulator)."""
    return CrmSettings(
        kind="hubspot",
        token=SecretStr(token),
        hubspot=HubSpotSettings(base_url=base_url),
        **changes,
    )


def salesforce(instance_url: str, *, token: str = SALESFORCE_TOKEN) -> CrmSettings:
    """The router's settings for a Salesforce instance at ``instance_url``."""
    return CrmSettings(
        kind="salesforce",
        token=SecretStr(token),
        salesforce=SalesforceSettings(instance_url=instance_url),
    )


async def arm_fault(simulator_url: str, **fault: Any) -> None:
    """The CRM simulator at ``simulator_url`` given a fault (``PUT /control/faults``)."""
    async with httpx.AsyncClient(base_url=simulator_url) as simulator:
        assert (await simulator.put("/control/faults", json=fault)).status_code == 200


@asynccontextmanager
async def delivering_to(
    crm_app: FastAPI, crm: Callable[[str], CrmSettings], *, fault: dict[str, Any] | None = None
) -> AsyncIterator[CrmDeliverer]:
    """A CRM deliverer for ``crm_app`` served locally (the simulator given ``fault``
    first), with the settings ``crm`` makes from its URL."""
    async with serving(crm_app) as url:
        if fault is not None:
            await arm_fault(url, **fault)
        settings = crm(url)
        async with create_http_client(settings) as client:
            yield CrmDeliverer(settings, client)


def settings(*, kafka: str, prefix: str, database_url: str, crm: CrmSettings) -> Settings:
    return Settings(
        kafka=service_kafka(kafka, prefix, "router"),
        db=DatabaseSettings(url=database_url),
        crm=crm,
        outbox=OutboxSettings(poll_interval_s=0.1, backoff_base_s=0.05, backoff_max_s=0.3),
        auth=AuthSettings(
            api_keys=[
                ApiKey(name="ops", key=SecretStr(ADMIN_KEY), scope="admin"),
                ApiKey(name="dashboard", key=SecretStr(READ_KEY), scope="read"),
            ]
        ),
        seed_demo_salespeople=True,
    )


def scored(n: int) -> LeadScored:
    """A scored lead of a company of its own, so the circuit does not pick the owner."""
    event = sample_scored(f"lead{n}@company{n}.example", f"corr-{n}")
    lead = event.data.lead.model_copy(update={"company": Company(name=f"Company {n}")})
    return event.model_copy(update={"data": event.data.model_copy(update={"lead": lead})})


async def send_leads(kafka: str, prefix: str, numbers: range) -> None:
    await produce(kafka, prefix + topics.LEADS_SCORED, [encode(scored(n)) for n in numbers])


async def deliveries(router: httpx.AsyncClient, count: int) -> list[dict[str, Any]]:
    """Every lead's CRM deliveries, once ``count`` leads are stored."""

    async def stored() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = (await router.get("/v1/leads", headers=READ)).json()["items"]
        return items if len(items) >= count else None

    leads = await eventually(stored, what=f"{count} leads")
    found: list[dict[str, Any]] = []
    for lead in leads:
        answer = await router.get(f"/v1/leads/{lead['id']}/deliveries", headers=READ)
        assert answer.status_code == 200, answer.text
        found += answer.json()["items"]
    return found


async def settled(router: httpx.AsyncClient, count: int, status: str) -> list[dict[str, Any]]:
    """Wait until ``count`` leads each have a delivery, all in ``status``."""

    async def done() -> list[dict[str, Any]] | None:
        found = await deliveries(router, count)
        return found if len(found) >= count and {d["status"] for d in found} == {status} else None

    return await eventually(done, timeout_s=15, what=f"{count} deliveries {status}")


async def metric(router: httpx.AsyncClient, name: str, **labels: str) -> float | None:
    text = (await router.get("/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return None


@asynccontextmanager
async def serving_on(app: FastAPI, port: int) -> AsyncIterator[str]:
    """Like ``tests.support.servers.serving``, on a given port (a CRM that comes back)."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool | None:
        if task.done():
            task.result()
        return server.started or None

    try:
        await eventually(started, timeout_s=30, interval_s=0.02, what="server start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


def event(email: str = "ada@example.com", *, crm_user_id: str = "005xx1") -> LeadAssigned:
    """An assignment of a lead of its own, to an owner with a CRM id."""
    return LeadAssigned(
        **samples.envelope(),
        data=LeadAssignedData(
            lead_id=uuid.uuid4(),
            lead_key=f"email:{email}",
            lead=samples.lead(email=email),
            assignment_id=uuid.uuid4(),
            campaign_id="spring-demo",
            salesperson=Salesperson(
                id=uuid.uuid4(), name="Jonas", email="jonas@example.com", crm_user_id=crm_user_id
            ),
            score=samples.score(),
            reason="rule 'all': Jonas in pool demo",
            assigned_at=datetime.now(UTC),
        ),
    )


def message(event: LeadAssigned) -> OutboxMessage:
    """The CRM outbox message of ``event``, as the relay claims it."""
    return OutboxMessage(
        id=uuid.uuid4(),
        kind="crm",
        destination="default",
        key=str(event.data.lead_id),
        payload=encode(event).decode(),
        headers={},
        idempotency_key=str(event.data.assignment_id),
        attempts=0,
    )
