"""The HubSpot and Salesforce adapters against the CRM simulator speaking their REST APIs
(deploy/crm-simulator, crms.py): the owner set, the talk track added, retries harmless."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import pytest

from leadrouter_crm_simulator.app import create_app as create_crm
from leadrouter_crm_simulator.crms import CrmState, HubSpotRecord
from leadrouter_router.crm.client import CrmDeliverer, create_http_client
from leadrouter_router.demo import DEMO_TEAM
from leadrouter_router.settings import CrmSettings
from tests.router.crm.conftest import RouterDelivering
from tests.router.crm.fakes import ScriptedCrm, scripted
from tests.router.crm.support import (
    HUBSPOT_TOKEN,
    SALESFORCE_TOKEN,
    arm_fault,
    delivering_to,
    event,
    hubspot,
    message,
    metric,
    salesforce,
    send_leads,
    settled,
)
from tests.support.servers import serving

DEMO_CRM_IDS = {crm_user_id for _, _, crm_user_id, _ in DEMO_TEAM}


CrmRouter = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def crm_router(router_delivering: RouterDelivering, tmp_path: Path) -> CrmRouter:
    """Starts the router (on SQLite) delivering to the CRM simulator holding ``state``,
    which accepts ``crm_token`` (and was given ``fault``), with the settings ``crm``
    makes from the simulator's URL."""

    @asynccontextmanager
    async def start(
        state: CrmState,
        crm: Callable[[str], CrmSettings],
        *,
        crm_token: str,
        fault: dict[str, object] | None = None,
    ) -> AsyncIterator[httpx.AsyncClient]:
        async with serving(create_crm(crm_token=crm_token, crms=state)) as url:
            if fault is not None:
                await arm_fault(url, **fault)
            database_url = f"sqlite+aiosqlite:///{tmp_path}/router.db"
            async with router_delivering(crm(url), database_url) as router:
                yield router

    return start


async def test_hubspot_sets_the_owner_and_adds_one_note_even_when_an_answer_is_lost(
    crm_router: CrmRouter, kafka: str, topic_prefix: str
) -> None:
    state = CrmState()
    lost = {"kind": "lost_answer", "status": 502, "count": 1, "path": "notes/batch/create"}
    async with crm_router(state, hubspot, crm_token=HUBSPOT_TOKEN, fault=lost) as router:
        await send_leads(kafka, topic_prefix, range(2))
        done = await settled(router, 2, "delivered")
        retried = await metric(
            router, "router_crm_deliveries_total", crm="hubspot", result="retried"
        )

    assert (retried or 0) >= 1
    assert max(d["attempts"] for d in done) == 2
    assert sorted(c.properties["email"] for c in state.contacts.values()) == [
        "lead0@company0.example",
        "lead1@company1.example",
    ]
    assert {c.properties["hubspot_owner_id"] for c in state.contacts.values()} <= DEMO_CRM_IDS
    assert len(state.notes) == 2, "the retried batch found its notes and made no second"
    assert {n.properties["leadrouter_assignment_id"] for n in state.notes.values()} == {
        d["assignment_id"] for d in done
    }
    for note in state.notes.values():
        [association] = note.associations
        assert association["to"]["id"] in state.contacts
        assert association["types"][0]["associationTypeId"] == 202
        body = note.properties["hs_note_body"]
        assert "Why you:" in body
        assert "leadrouter-assignment-" in body
    assert not any("search" in call for call in state.calls), "no search: its index lags"
    assert state.stats()["answers"].get("401") is None


async def test_hubspot_finds_an_existing_contact_by_email(
    crm_router: CrmRouter, kafka: str, topic_prefix: str
) -> None:
    state = CrmState()
    state.contacts["77"] = HubSpotRecord(
        "77", {"email": "lead0@company0.example", "hubspot_owner_id": "someone"}
    )
    async with crm_router(state, hubspot, crm_token=HUBSPOT_TOKEN) as router:
        await send_leads(kafka, topic_prefix, range(1))
        await settled(router, 1, "delivered")

    assert list(state.contacts) == ["77"]
    assert state.contacts["77"].properties["hubspot_owner_id"] in DEMO_CRM_IDS
    assert state.calls["POST /crm/v3/objects/contacts/batch/update"] == 1
    assert state.calls["POST /crm/v3/objects/contacts/batch/upsert"] == 0


async def test_salesforce_upserts_the_lead_owner_and_a_task(
    crm_router: CrmRouter, kafka: str, topic_prefix: str
) -> None:
    state = CrmState()
    async with crm_router(state, salesforce, crm_token=SALESFORCE_TOKEN) as router:
        await send_leads(kafka, topic_prefix, range(2))
        done = await settled(router, 2, "delivered")

    leads = state.sobjects["Lead"]
    tasks = state.sobjects["Task"]
    assert set(leads) == {d["lead_id"] for d in done}
    assert set(tasks) == {d["assignment_id"] for d in done}
    by_id = {lead["Id"]: lead for lead in leads.values()}
    for task in tasks.values():
        lead = by_id[task["WhoId"]]
        assert task["OwnerId"] == lead["OwnerId"]
        assert lead["OwnerId"] in DEMO_CRM_IDS
        assert "Why you:" in task["Description"]
        assert task["Status"] == "Not Started"
    assert set(state.calls) == {"PATCH /services/data/{v}/composite/sobjects/{type}/{field}"}


async def test_salesforce_refusing_the_token_is_a_clear_permanent_failure(
    crm_router: CrmRouter, kafka: str, topic_prefix: str
) -> None:
    state = CrmState()
    async with crm_router(
        state, lambda url: salesforce(url, token="an-expired-token"), crm_token="the-right-token"
    ) as router:
        await send_leads(kafka, topic_prefix, range(1))
        [failed] = await settled(router, 1, "failed")

    assert failed["attempts"] == 1
    assert "salesforce refused the token (401" in failed["last_answer"]
    assert "INVALID_SESSION_ID" in failed["last_answer"]
    assert state.sobjects == {}


async def test_salesforce_delivering_the_same_batch_twice_changes_nothing() -> None:
    """What a redelivery after a lost answer does: the upserts find what the first made."""
    state = CrmState()
    messages = [message(event()) for _ in range(3)]
    crm_app = create_crm(crm_token=SALESFORCE_TOKEN, crms=state)
    async with delivering_to(crm_app, salesforce) as deliver:
        assert await deliver.deliver_batch(messages) == [None] * 3
        first = {kind: dict(records) for kind, records in state.sobjects.items()}
        assert await deliver.deliver_batch(messages) == [None] * 3

    assert len(state.sobjects["Lead"]) == 3
    assert len(state.sobjects["Task"]) == 3
    assert state.sobjects == first
    assert state.stats()["duplicate_tasks"] == 0


async def test_the_deliverer_keeps_at_most_max_concurrency_requests_in_flight() -> None:
    crm = ScriptedCrm(script=["slow"] * 6, slow_s=0.2)
    async with serving(scripted(crm)) as crm_url:
        crm_settings = CrmSettings(url=f"{crm_url}/assignments", max_concurrency=2)
        client = create_http_client(crm_settings)
        async with client:
            deliver = CrmDeliverer(crm_settings, client)
            messages = [message(event()) for _ in range(6)]
            await asyncio.gather(*(deliver(m) for m in messages))

    assert crm.most_in_flight == 2
    assert set(crm.effects) == {m.idempotency_key for m in messages}
