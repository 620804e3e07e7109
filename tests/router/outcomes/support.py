"""A router with API keys, the demo team and (optionally) a manager webhook, for the
outcome, SLA and report tests; and a lead that gets assigned."""

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, NamedTuple

import httpx
from aiokafka import ConsumerRecord
from fastapi import FastAPI

from leadrouter_crm_simulator.app import create_app as create_crm
from leadrouter_router.app import create_app
from leadrouter_router.settings import SlaSettings
from leadrouter_schemas import Company, encode, topics
from tests.router.api_support import ADMIN, CRM, keyed_settings
from tests.support.kafka import produce, wait_for_records
from tests.support.samples import scored
from tests.support.servers import serving
from tests.support.waiting import eventually


class OutcomeApi(NamedTuple):
    """The running router of ``outcome_router`` (the ``outcome_api`` fixture): its
    client and its app (for its parts: the SLA checker, ...)."""

    client: httpx.AsyncClient
    app: FastAPI


@asynccontextmanager
async def outcome_router(
    *,
    kafka: str,
    prefix: str,
    database_url: str,
    manager_url: str | None = None,
    settings_update: Mapping[str, Any] | None = None,
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    async with serving(create_crm()) as crm_url:
        settings = keyed_settings(
            kafka=kafka, prefix=prefix, database_url=database_url, crm_url=f"{crm_url}/assignments"
        ).model_copy(
            update={
                "seed_demo_salespeople": True,
                # The test drives the checker itself, with the clock it wants.
                "sla": SlaSettings(check_interval_s=3600, manager_webhook_url=manager_url),
                **(settings_update or {}),
            }
        )
        app = create_app(settings)
        async with (
            serving(app) as base_url,
            httpx.AsyncClient(base_url=base_url, timeout=10) as client,
        ):
            yield client, app


async def assigned_lead(
    client: httpx.AsyncClient, kafka: str, prefix: str, campaign_id: str = "spring-demo"
) -> dict[str, Any]:
    """Produce a scored lead of a company of its own and wait until it is assigned."""
    name = f"lead{uuid.uuid4().hex[:8]}"
    event = scored(f"{name}@{name}.example", correlation_id=f"corr-{name}")
    lead = event.data.lead.model_copy(
        update={"company": Company(name=name), "campaign_id": campaign_id}
    )
    event = event.model_copy(update={"data": event.data.model_copy(update={"lead": lead})})
    await produce(kafka, prefix + topics.LEADS_SCORED, [encode(event)])

    async def stored() -> dict[str, Any] | None:
        page = (
            await client.get("/v1/leads", params={"correlation_id": f"corr-{name}"}, headers=ADMIN)
        ).json()
        items: list[dict[str, Any]] = page["items"]
        return items[0] if items and items[0]["status"] == "assigned" else None

    return await eventually(stored, what=f"lead {name} assigned")


async def spring_demo_sla(client: httpx.AsyncClient, **sla: int) -> None:
    """Give the spring-demo campaign these SLA targets (``accept_within_minutes``, ...)."""
    put = await client.put(
        "/v1/campaigns/spring-demo", json={"name": "Spring demo", "sla": sla}, headers=ADMIN
    )
    assert put.status_code in (200, 201), put.text


async def work(
    client: httpx.AsyncClient, lead_id: str, steps: tuple[tuple[str, dict[str, Any]], ...]
) -> None:
    """The CRM's callbacks for the lead, in order (``("accept", {})``, ...), each answered
    200; the event id is the lead's and the action's."""
    for action, body in steps:
        answer = await client.post(
            f"/v1/leads/{lead_id}/{action}",
            json={"event_id": f"{lead_id}-{action}", **body},
            headers=CRM,
        )
        assert answer.status_code == 200, answer.text


async def call(
    client: httpx.AsyncClient, lead_id: str, action: str, body: dict[str, Any]
) -> httpx.Response:
    """The CRM's callback ``action`` (accept, activity, outcome, reject) on the lead."""
    return await client.post(f"/v1/leads/{lead_id}/{action}", json=body, headers=CRM)


async def published_outcomes(
    kafka: str, prefix: str, count: int
) -> list[ConsumerRecord[bytes, bytes]]:
    """The records of leads.outcomes once there are ``count``, checked to be no more."""
    records = await wait_for_records(kafka, prefix + topics.LEADS_OUTCOMES, count)
    assert len(records) == count, [r.value for r in records]
    return records


async def lead_now(client: httpx.AsyncClient, lead_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = (await client.get(f"/v1/leads/{lead_id}", headers=ADMIN)).json()
    return answer
