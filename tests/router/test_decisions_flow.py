"""Decisions through the running router (real broker, SQLite and PostgreSQL): the record
behind an assignment, the same person merged, and the unassigned lead picked up once
someone becomes eligible."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from leadrouter_schemas import Company, LeadScored, encode, topics
from tests.router.api_support import ADMIN, READ, keyed_settings, unique
from tests.router.conftest import running_router
from tests.support.kafka import produce
from tests.support.samples import scored
from tests.support.waiting import eventually


@pytest.fixture
async def router(
    kafka: str, topic_prefix: str, database_url: str, crm: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    settings = keyed_settings(
        kafka=kafka,
        prefix=topic_prefix,
        database_url=database_url,
        crm_url=str(crm.base_url.join("/assignments")),
        recheck_s=0.2,
    )
    async with running_router(settings) as client:
        yield client


def lead_of(email: str, company: str, correlation_id: str) -> LeadScored:
    event = scored(email, correlation_id)
    changed = event.data.lead.model_copy(update={"company": Company(name=company)})
    return event.model_copy(update={"data": event.data.model_copy(update={"lead": changed})})


async def leads_with(router: httpx.AsyncClient, count: int, **filters: str) -> list[dict[str, Any]]:
    async def enough() -> list[dict[str, Any]] | None:
        page = await router.get("/v1/leads", params=filters, headers=READ)
        items: list[dict[str, Any]] = page.json()["items"]
        return items if len(items) >= count else None

    return await eventually(enough, what=f"{count} leads {filters}")


async def test_an_unassigned_lead_is_assigned_once_someone_becomes_eligible(
    router: httpx.AsyncClient, crm: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    await produce(kafka, topic_prefix + topics.LEADS_SCORED, [encode(scored("wait@example.org"))])
    (waiting,) = await leads_with(router, 1, status="unassigned")
    decision = (await router.get(f"/v1/leads/{waiting['id']}/decision", headers=READ)).json()
    assert decision["outcome"] == "unassigned"
    assert "waits unassigned" in decision["record"]["reason"]

    async def backlog_counted() -> bool:
        # A gauge is eventually consistent: the periodic re-check may have read
        # the table just before the lead was committed.
        return "router_unassigned_backlog 1.0" in (await router.get("/metrics")).text

    await eventually(backlog_counted, timeout_s=10, what="the unassigned backlog at 1")

    created = await client_post_person(router)
    (assigned,) = await leads_with(router, 1, status="assigned")

    assert assigned["id"] == waiting["id"]
    assert assigned["owner_id"] == created["id"]
    requests = await eventually(
        lambda: _requests(crm, 1), what="the late assignment posted to the CRM"
    )
    assert requests[0]["answered"] == 201
    latest = (await router.get(f"/v1/leads/{waiting['id']}/decision", headers=READ)).json()
    assert (latest["outcome"], latest["salesperson_id"]) == ("assigned", created["id"])


async def client_post_person(router: httpx.AsyncClient) -> dict[str, Any]:
    response = await router.post(
        "/v1/salespeople",
        json={"name": "Late Joiner", "email": f"{unique('late')}@example.com"},
        headers=ADMIN,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _requests(crm: httpx.AsyncClient, count: int) -> list[dict[str, Any]] | None:
    received: list[dict[str, Any]] = (await crm.get("/requests")).json()
    return received if len(received) >= count else None


async def test_the_decision_record_explains_the_assignment_and_the_same_person_is_merged(
    router: httpx.AsyncClient, crm: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    team = unique("pool")
    await router.post("/v1/teams", json={"name": team}, headers=ADMIN)
    paused = await router.post(
        "/v1/salespeople",
        json={
            "name": "Away",
            "email": f"{unique('away')}@example.com",
            "status": "paused",
            "teams": [team],
        },
        headers=ADMIN,
    )
    working = await router.post(
        "/v1/salespeople",
        json={"name": "Here", "email": f"{unique('here')}@example.com", "teams": [team]},
        headers=ADMIN,
    )
    policy = await router.put(
        "/v1/policies/default", json={"rules": [{"name": "all", "pool": team}]}, headers=ADMIN
    )
    assert policy.status_code == 200, policy.text

    first = lead_of("Ada.Lovelace@Engines.example", "Engines", "corr-first")
    again = lead_of("ada.lovelace+later@engines.example", "Engines", "corr-again")
    await produce(kafka, topic_prefix + topics.LEADS_SCORED, [encode(first)])
    (lead,) = await leads_with(router, 1, correlation_id="corr-first")
    await produce(kafka, topic_prefix + topics.LEADS_SCORED, [encode(again), encode(first)])
    (merged,) = await leads_with(router, 1, correlation_id="corr-again")

    decision = (await router.get(f"/v1/leads/{lead['id']}/decision", headers=READ)).json()
    assert decision["salesperson_id"] == working.json()["id"]
    assert (decision["policy_name"], decision["policy_version"]) == ("default", 1)
    record = decision["record"]
    assert record["rules"] == [{"rule": "all", "matched": True, "conditions": []}]
    candidates = {c["name"]: c["excluded"] for c in record["pools"][0]["candidates"]}
    assert candidates == {"Away": ["inactive"], "Here": []}
    assert record["tie_break"].startswith("round robin")
    assert paused.json()["status"] == "paused"

    assert merged["status"] == "merged"
    assert merged["merged_into_id"] == lead["id"]
    assert merged["owner_id"] == working.json()["id"]
    assert merged["assignments"] == []
    requests = await eventually(lambda: _requests(crm, 1), what="one CRM post")
    assert len(requests) == 1, "the same person and the replayed event made no second assignment"
    total = (await router.get("/v1/leads", headers=READ)).json()["items"]
    assert len(total) == 2
    metrics = (await router.get("/metrics")).text
    assert 'router_decisions_total{outcome="merged"} 1.0' in metrics
    assert "router_assignments_total{pool=" in metrics
    assert "router_decision_latency_seconds_count 2.0" in metrics
