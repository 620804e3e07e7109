"""The router against the real broker, a real database (SQLite and PostgreSQL)
and the CRM simulator: scored leads in, assignments stored, posted and announced."""

from collections import Counter
from typing import Any

import httpx
from sqlalchemy import select

from leadrouter_router.platform.db import create_engine, session_factory
from leadrouter_router.platform.outbox import OutboxRow
from leadrouter_router.settings import Settings
from leadrouter_schemas import Company, LeadAssigned, LeadScored, decode_as, encode, topics
from tests.router.conftest import running_router
from tests.support.kafka import produce, wait_for_records
from tests.support.samples import scored as sample_scored
from tests.support.waiting import eventually


def scored(email: str = "ada@example.com", correlation_id: str = "corr-1") -> LeadScored:
    """A scored lead of a company of its own (the e-mail's domain), so that the
    company's circuit does not send every sample to the same salesperson."""
    event = sample_scored(email, correlation_id)
    lead = event.data.lead.model_copy(update={"company": Company(name=email.split("@")[0])})
    return event.model_copy(update={"data": event.data.model_copy(update={"lead": lead})})


async def crm_requests(crm: httpx.AsyncClient, count: int) -> list[dict[str, Any]]:
    async def enough() -> list[dict[str, Any]] | None:
        received: list[dict[str, Any]] = (await crm.get("/requests")).json()
        return received if len(received) >= count else None

    return await eventually(enough, what=f"{count} CRM requests")


async def leads(router: httpx.AsyncClient, count: int) -> list[dict[str, Any]]:
    async def enough() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = (await router.get("/v1/leads")).json()["items"]
        return items if len(items) >= count else None

    return await eventually(enough, what=f"{count} leads stored")


async def test_scored_leads_are_assigned_in_turn_posted_and_announced(
    router: httpx.AsyncClient, crm: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    events = [scored(f"lead{n}@company{n}.example", correlation_id=f"corr-{n}") for n in range(4)]
    await produce(kafka, topic_prefix + topics.LEADS_SCORED, [encode(e) for e in events])

    stored = await leads(router, 4)
    requests = await crm_requests(crm, 4)
    announced = await wait_for_records(kafka, topic_prefix + topics.LEADS_ASSIGNED, 4)

    assert {lead["status"] for lead in stored} == {"assigned"}
    owners = Counter(lead["assignments"][0]["salesperson_id"] for lead in stored)
    assert sorted(owners.values()) == [1, 1, 2], "round robin over the 3 demo salespeople"
    assert {r["correlation_id"] for r in requests} == {f"corr-{n}" for n in range(4)}
    assert {r["answered"] for r in requests} == {201}
    assignment_ids = {lead["assignments"][0]["id"] for lead in stored}
    assert {r["idempotency_key"] for r in requests} == assignment_ids
    assigned = [decode_as(record.value, LeadAssigned) for record in announced]
    assert {str(a.data.assignment_id) for a in assigned} == assignment_ids
    assert {record.key.decode() for record in announced} == {lead["id"] for lead in stored}
    assert all(a.data.lead.contact.email for a in assigned)


async def test_a_redelivered_scored_event_is_assigned_once(
    router: httpx.AsyncClient, crm: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    event = scored("twice@example.com")
    later = scored("later@example.com")
    await produce(
        kafka, topic_prefix + topics.LEADS_SCORED, [encode(event), encode(event), encode(later)]
    )

    stored = await leads(router, 2)
    requests = await crm_requests(crm, 2)

    assert sorted(lead["email"] for lead in stored) == ["later@example.com", "twice@example.com"]
    assert len(requests) == 2


async def test_a_record_that_is_not_a_scored_lead_is_dead_lettered_and_the_rest_flows(
    router: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    topic = topic_prefix + topics.LEADS_SCORED
    await produce(kafka, topic, [b"{not json", encode(scored("after@example.com"))], key=b"k")

    (letter,) = await wait_for_records(kafka, topics.dead_letter(topic), 1)
    stored = await leads(router, 1)

    headers = dict(letter.headers)
    assert letter.value == b"{not json"
    assert letter.key == b"k"
    assert headers["dlq-source-topic"] == topic.encode()
    assert headers["dlq-reason"] == b"not a LeadScored v1: json_invalid at line 1 column 2"
    assert stored[0]["email"] == "after@example.com"


async def test_a_crm_outage_is_retried_until_delivered_once(
    router: httpx.AsyncClient, crm: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    await crm.put("/control/failure", json={"status": 503, "count": 3})
    await produce(kafka, topic_prefix + topics.LEADS_SCORED, [encode(scored())])

    requests = await crm_requests(crm, 4)

    assert [r["answered"] for r in requests] == [503, 503, 503, 201]
    assert len({r["idempotency_key"] for r in requests}) == 1
    assert len((await crm.get("/assignments")).json()) == 1


async def test_a_crm_refusal_is_marked_failed_with_its_answer_and_not_retried(
    router: httpx.AsyncClient,
    crm: httpx.AsyncClient,
    kafka: str,
    topic_prefix: str,
    router_settings: Settings,
) -> None:
    await crm.put("/control/failure", json={"status": 422, "count": 1})
    await produce(kafka, topic_prefix + topics.LEADS_SCORED, [encode(scored())])
    engine = create_engine(router_settings.db.url)

    async def failed_delivery() -> OutboxRow | None:
        async with session_factory(engine)() as session:
            return await session.scalar(
                select(OutboxRow).where(OutboxRow.kind == "crm", OutboxRow.status == "failed")
            )

    try:
        row = await eventually(failed_delivery, what="the CRM delivery marked failed")
    finally:
        await engine.dispose()
    assert row.attempts == 1
    assert row.last_error is not None
    assert "CRM answered 422" in row.last_error
    assert [r["answered"] for r in (await crm.get("/requests")).json()] == [422]


async def test_without_salespeople_the_lead_waits_unassigned(
    router_settings: Settings, crm: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    settings = router_settings.model_copy(update={"seed_demo_salespeople": False})
    async with running_router(settings) as router:
        await produce(kafka, topic_prefix + topics.LEADS_SCORED, [encode(scored())])
        (lead,) = await leads(router, 1)
    assert lead["status"] == "unassigned"
    assert lead["assignments"] == []
    assert (await crm.get("/requests")).json() == []


async def test_readiness_checks_database_and_kafka(router: httpx.AsyncClient) -> None:
    ready = await router.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "database": "ok",
        "kafka": "ok",
        "consumer": "ok",
        "rejections_consumer": "ok",
    }


async def test_an_unknown_lead_is_a_404_problem(router: httpx.AsyncClient) -> None:
    response = await router.get("/v1/leads/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
