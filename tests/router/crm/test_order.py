"""Per-lead order of the outbox (real broker, SQLite and PostgreSQL): a lead re-assigned
while its first delivery is still being retried ends in the CRM with the router's
current owner, its older assignment superseded, never delivered after the newer one."""

from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest

from leadrouter_router.settings import Settings
from leadrouter_schemas import LeadAssigned, decode_as, topics
from tests.router.api_support import CRM, READ, keyed_settings
from tests.router.conftest import running_router
from tests.router.crm.fakes import OwnerCrm, owner_crm
from tests.router.crm.support import send_leads
from tests.support.kafka import wait_for_records
from tests.support.servers import serving
from tests.support.waiting import eventually


def _settings(kafka: str, prefix: str, database_url: str, crm_url: str) -> Settings:
    return keyed_settings(
        kafka=kafka, prefix=prefix, database_url=database_url, crm_url=f"{crm_url}/assignments"
    ).model_copy(update={"seed_demo_salespeople": True})


async def _lead(router: httpx.AsyncClient) -> dict[str, Any]:
    async def assigned() -> dict[str, Any] | None:
        items = (await router.get("/v1/leads", headers=READ)).json()["items"]
        return items[0] if items and items[0]["status"] == "assigned" else None

    return await eventually(assigned, what="the lead assigned")


async def _ended(router: httpx.AsyncClient, lead_id: str, count: int) -> list[dict[str, Any]]:
    async def ended() -> list[dict[str, Any]] | None:
        answer = await router.get(f"/v1/leads/{lead_id}/deliveries", headers=READ)
        items: list[dict[str, Any]] = answer.json()["items"]
        done = len(items) >= count and all(d["status"] != "pending" for d in items)
        return items if done else None

    return await eventually(ended, timeout_s=20, what=f"{count} deliveries ended")


@pytest.mark.parametrize("replicas", [1, 2])
async def test_a_reject_while_the_first_delivery_is_retried_leaves_the_crm_with_the_current_owner(
    replicas: int, kafka: str, topic_prefix: str, database_url: str
) -> None:
    # With two replicas both relays run on the one database, and the reject reaches
    # the replica that did not consume the lead (or the other: either must hold).
    crm = OwnerCrm()
    async with serving(owner_crm(crm)) as crm_url, AsyncExitStack() as stack:
        config = _settings(kafka, topic_prefix, database_url, crm_url)
        routers = [await stack.enter_async_context(running_router(config)) for _ in range(replicas)]
        router = routers[-1]
        await send_leads(kafka, topic_prefix, range(1))
        lead = await _lead(router)
        lead_id, first = lead["id"], lead["assignments"][0]["id"]

        async def retried() -> bool | None:
            return crm.attempts(first) >= 2 or None

        await eventually(retried, what="the first delivery answered 500 twice")
        rejected = await router.post(
            f"/v1/leads/{lead_id}/reject",
            json={"event_id": "reject-1", "reason": "not my region"},
            headers=CRM,
        )
        assert rejected.status_code == 200, rejected.text
        owner = rejected.json()["owner_id"]
        assert owner is not None
        assert owner != lead["owner_id"]

        ended = await _ended(router, lead_id, 2)
        current = (await router.get(f"/v1/leads/{lead_id}", headers=READ)).json()

    assert current["owner_id"] == owner
    assert crm.owners[lead_id] == owner, "the CRM ends with the router's current owner"
    second = next(a["id"] for a in current["assignments"] if a["id"] != first)
    assert [key for _, key in crm.taken] == [second], "the older one never reached the CRM"
    assert {d["assignment_id"]: d["status"] for d in ended} == {
        first: "superseded",
        second: "delivered",
    }
    records = await wait_for_records(kafka, topic_prefix + topics.LEADS_ASSIGNED, 2)
    announced = [str(decode_as(r.value, LeadAssigned).data.assignment_id) for r in records]
    assert announced == [first, second], "leads.assigned carries both, in the router's order"
