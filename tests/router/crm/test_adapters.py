"""The HubSpot and Salesforce adapters against local servers speaking their REST APIs
(tests/router/crm/fakes.py): the owner set, the talk track added, retries harmless."""

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pydantic import SecretStr

from leadrouter_router.crm.adapters import SalesforceAdapter
from leadrouter_router.crm.client import CrmDeliverer, create_http_client
from leadrouter_router.demo import DEMO_TEAM
from leadrouter_router.platform.outbox import OutboxMessage
from leadrouter_router.settings import CrmSettings, HubSpotSettings, SalesforceSettings
from leadrouter_schemas import LeadAssigned, LeadAssignedData, Salesperson, encode
from tests.router.conftest import running_router
from tests.router.crm.fakes import (
    HubSpotState,
    SalesforceState,
    ScriptedCrm,
    hubspot,
    salesforce,
    scripted,
)
from tests.router.crm.support import metric, send_leads, settings, settled
from tests.support import samples
from tests.support.servers import serving

DEMO_CRM_IDS = {crm_user_id for _, _, crm_user_id, _ in DEMO_TEAM}


async def test_hubspot_sets_the_owner_and_adds_one_note_even_when_an_answer_is_lost(
    kafka: str, topic_prefix: str, tmp_path: Path
) -> None:
    state = HubSpotState(token="pat-na1-0123456789", lose_note_answers=1)
    async with serving(hubspot(state)) as base_url:
        crm = CrmSettings(
            kind="hubspot",
            token=SecretStr(state.token),
            hubspot=HubSpotSettings(base_url=base_url),
        )
        config = settings(
            kafka=kafka,
            prefix=topic_prefix,
            database_url=f"sqlite+aiosqlite:///{tmp_path}/router.db",
            crm=crm,
        )
        async with running_router(config) as router:
            await send_leads(kafka, topic_prefix, range(2))
            done = await settled(router, 2, "delivered")
            assert (
                await metric(router, "router_crm_deliveries_total", crm="hubspot", result="retried")
                == 1
            )

    assert sorted(d["attempts"] for d in done) == [1, 2]
    assert sorted(c["email"] for c in state.contacts.values()) == [
        "lead0@company0.example",
        "lead1@company1.example",
    ]
    assert {c["hubspot_owner_id"] for c in state.contacts.values()} <= DEMO_CRM_IDS
    assert len(state.notes) == 2, "the retried delivery found its note and made no second"
    for note in state.notes.values():
        [association] = note["associations"]
        assert association["to"]["id"] in state.contacts
        assert association["types"][0]["associationTypeId"] == 202
        body = note["properties"]["hs_note_body"]
        assert "Why you:" in body
        assert "leadrouter-assignment-" in body
    assert {r.authorization for r in state.requests} == {f"Bearer {state.token}"}


async def test_hubspot_finds_an_existing_contact_by_email(
    kafka: str, topic_prefix: str, tmp_path: Path
) -> None:
    state = HubSpotState(token="pat-na1-0123456789")
    state.contacts["77"] = {"email": "lead0@company0.example", "hubspot_owner_id": "someone"}
    async with serving(hubspot(state)) as base_url:
        crm = CrmSettings(
            kind="hubspot",
            token=SecretStr(state.token),
            hubspot=HubSpotSettings(base_url=base_url),
        )
        config = settings(
            kafka=kafka,
            prefix=topic_prefix,
            database_url=f"sqlite+aiosqlite:///{tmp_path}/router.db",
            crm=crm,
        )
        async with running_router(config) as router:
            await send_leads(kafka, topic_prefix, range(1))
            await settled(router, 1, "delivered")

    assert list(state.contacts) == ["77"]
    assert state.contacts["77"]["hubspot_owner_id"] in DEMO_CRM_IDS
    assert not any(
        r.method == "POST" and r.path == "/crm/v3/objects/contacts" for r in state.requests
    )


async def test_salesforce_upserts_the_lead_owner_and_a_task(
    kafka: str, topic_prefix: str, tmp_path: Path
) -> None:
    state = SalesforceState(token="00Dxx0000001gPL!AQ0AQ")
    async with serving(salesforce(state)) as instance_url:
        crm = CrmSettings(
            kind="salesforce",
            token=SecretStr(state.token),
            salesforce=SalesforceSettings(instance_url=instance_url),
        )
        config = settings(
            kafka=kafka,
            prefix=topic_prefix,
            database_url=f"sqlite+aiosqlite:///{tmp_path}/router.db",
            crm=crm,
        )
        async with running_router(config) as router:
            await send_leads(kafka, topic_prefix, range(2))
            done = await settled(router, 2, "delivered")

    leads = state.records["Lead"]
    tasks = state.records["Task"]
    assert set(leads) == {d["lead_id"] for d in done}
    assert set(tasks) == {d["assignment_id"] for d in done}
    by_id = {lead["Id"]: lead for lead in leads.values()}
    for task in tasks.values():
        lead = by_id[task["WhoId"]]
        assert task["OwnerId"] == lead["OwnerId"]
        assert lead["OwnerId"] in DEMO_CRM_IDS
        assert "Why you:" in task["Description"]
        assert task["Status"] == "Not Started"
    assert all(r.path.startswith("/services/data/v60.0/sobjects/") for r in state.requests)


async def test_salesforce_refusing_the_token_is_a_clear_permanent_failure(
    kafka: str, topic_prefix: str, tmp_path: Path
) -> None:
    state = SalesforceState(token="the-right-token")
    async with serving(salesforce(state)) as instance_url:
        crm = CrmSettings(
            kind="salesforce",
            token=SecretStr("an-expired-token"),
            salesforce=SalesforceSettings(instance_url=instance_url),
        )
        config = settings(
            kafka=kafka,
            prefix=topic_prefix,
            database_url=f"sqlite+aiosqlite:///{tmp_path}/router.db",
            crm=crm,
        )
        async with running_router(config) as router:
            await send_leads(kafka, topic_prefix, range(1))
            [failed] = await settled(router, 1, "failed")

    assert failed["attempts"] == 1
    assert "salesforce refused the token (401" in failed["last_answer"]
    assert "INVALID_SESSION_ID" in failed["last_answer"]
    assert state.records == {}


async def test_salesforce_delivering_the_same_assignment_twice_changes_nothing() -> None:
    """What a redelivery after a lost answer does: the upserts find what the first made."""
    state = SalesforceState(token="token-0123456789")
    event = _event()
    message = _message(event)
    async with serving(salesforce(state)) as instance_url, httpx.AsyncClient() as client:
        adapter = SalesforceAdapter(
            CrmSettings(
                kind="salesforce",
                token=SecretStr(state.token),
                salesforce=SalesforceSettings(instance_url=instance_url),
            )
        )
        await adapter.deliver(client, event, message)
        first = {kind: dict(records) for kind, records in state.records.items()}
        await adapter.deliver(client, event, message)

    assert len(state.records["Lead"]) == 1
    assert len(state.records["Task"]) == 1
    assert state.records == first


async def test_the_deliverer_keeps_at_most_max_concurrency_requests_in_flight() -> None:
    crm = ScriptedCrm(script=["slow"] * 6, slow_s=0.2)
    async with serving(scripted(crm)) as crm_url:
        crm_settings = CrmSettings(url=f"{crm_url}/assignments", max_concurrency=2)
        client = create_http_client(crm_settings)
        async with client:
            deliver = CrmDeliverer(crm_settings, client)
            messages = [_message(_event()) for _ in range(6)]
            await asyncio.gather(*(deliver(m) for m in messages))

    assert crm.most_in_flight == 2
    assert set(crm.effects) == {m.idempotency_key for m in messages}


def _event() -> LeadAssigned:
    return LeadAssigned(
        **samples.envelope(),
        data=LeadAssignedData(
            lead_id=uuid.uuid4(),
            lead_key="email:ada@example.com",
            lead=samples.lead(),
            assignment_id=uuid.uuid4(),
            campaign_id="spring-demo",
            salesperson=Salesperson(
                id=uuid.uuid4(), name="Jonas", email="jonas@example.com", crm_user_id="005xx1"
            ),
            score=samples.score(),
            reason="rule 'all': Jonas in pool demo",
            assigned_at=datetime.now(UTC),
        ),
    )


def _message(event: LeadAssigned) -> OutboxMessage:
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
