"""The CRM calls back (real broker, SQLite and PostgreSQL): each callback is recorded,
published to leads.outcomes through the outbox, idempotent by its event id; bad ones
get a problem+json and record nothing."""

from typing import Any

from leadrouter_schemas import LeadOutcomeRecorded, decode_as, topics
from tests.router.api_support import READ
from tests.router.outcomes.support import OutcomeApi, call, lead_now, published_outcomes
from tests.support.kafka import read_all


async def test_a_lead_is_accepted_touched_and_won_once_per_event_id(
    outcome_api: OutcomeApi, lead: dict[str, Any], kafka: str, topic_prefix: str
) -> None:
    client, lead_id = outcome_api.client, lead["id"]
    owner = lead["owner_id"]

    accepted = await call(client, lead_id, "accept", {"event_id": "crm-1", "salesperson_id": owner})
    replayed = await call(client, lead_id, "accept", {"event_id": "crm-1"})
    touched = await call(client, lead_id, "activity", {"event_id": "crm-2", "channel": "call"})
    won = await call(
        client,
        lead_id,
        "outcome",
        {"event_id": "crm-3", "outcome": "won", "value": 1200, "currency": "EUR"},
    )
    after_final = await call(client, lead_id, "activity", {"event_id": "crm-4", "channel": "email"})

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["stage"] == "accepted"
    assert replayed.status_code == 200
    assert replayed.json() == accepted.json()
    assert replayed.headers["idempotent-replayed"] == "true"
    assert touched.json()["stage"] == "contacted"
    assert won.json() | {"event_id": None} == {
        "lead_id": lead_id,
        "event_id": None,
        "outcome": "won",
        "stage": "won",
        "lead_status": "closed",
        "owner_id": owner,
    }
    assert after_final.status_code == 409
    assert after_final.headers["content-type"] == "application/problem+json"
    assert "won" in after_final.json()["detail"]
    (assignment,) = (await lead_now(client, lead_id))["assignments"]
    assert assignment["stage"] == "won"
    assert assignment["accepted_at"] is not None
    assert assignment["first_touch_at"] is not None

    metrics = (await client.get("/metrics")).text
    assert 'router_outcomes_total{outcome="won"} 1.0' in metrics
    assert 'router_outcomes_total{outcome="accepted"} 1.0' in metrics  # not the replay

    records = await published_outcomes(kafka, topic_prefix, 3)
    events = [decode_as(r.value, LeadOutcomeRecorded) for r in records]
    assert [e.data.outcome for e in events] == ["accepted", "contacted", "won"]
    assert {r.key for r in records} == {lead_id.encode()}
    assert events[1].data.channel == "call"
    assert (events[2].data.value, events[2].data.currency) == (1200, "EUR")
    assert {e.correlation_id for e in events} == {lead["correlation_id"]}


async def test_bad_callbacks_are_refused_and_record_nothing(
    outcome_api: OutcomeApi, lead: dict[str, Any], kafka: str, topic_prefix: str
) -> None:
    client, lead_id = outcome_api.client, lead["id"]
    unknown = await call(
        client, "00000000-0000-4000-8000-000000000000", "accept", {"event_id": "b-1"}
    )
    read_only = await client.post(
        f"/v1/leads/{lead_id}/accept", json={"event_id": "b-2"}, headers=READ
    )
    no_key = await client.post(f"/v1/leads/{lead_id}/accept", json={"event_id": "b-3"})
    odd_outcome = await call(client, lead_id, "outcome", {"event_id": "b-4", "outcome": "maybe"})
    won_without_value = await call(
        client, lead_id, "outcome", {"event_id": "b-5", "outcome": "won"}
    )
    won_too_early = await call(
        client,
        lead_id,
        "outcome",
        {"event_id": "b-6", "outcome": "won", "value": 1, "currency": "EUR"},
    )
    touched_too_early = await call(
        client, lead_id, "activity", {"event_id": "b-7", "channel": "call"}
    )

    assert [
        r.status_code
        for r in (
            unknown,
            read_only,
            no_key,
            odd_outcome,
            won_without_value,
            won_too_early,
            touched_too_early,
        )
    ] == [404, 403, 401, 422, 422, 409, 409]
    assert "stage is new" in won_too_early.json()["detail"]
    (assignment,) = (await lead_now(client, lead_id))["assignments"]
    assert (assignment["stage"], assignment["accepted_at"]) == ("new", None)
    # The refused b-6 did not take its event id: it may be used once the order is right.
    assert (await call(client, lead_id, "accept", {"event_id": "b-6"})).status_code == 200
    await published_outcomes(kafka, topic_prefix, 1)


async def test_a_rejected_lead_goes_to_someone_who_never_had_it_then_waits_unassigned(
    outcome_api: OutcomeApi, lead: dict[str, Any], kafka: str, topic_prefix: str
) -> None:
    client, lead_id = outcome_api.client, lead["id"]
    owners = [lead["owner_id"]]
    for n in range(2):  # the demo team has three salespeople
        answer = await call(
            client, lead_id, "reject", {"event_id": f"r-{n}", "reason": "not my region"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["stage"] == "rejected"
        owners.append(answer.json()["owner_id"])
    stale = await call(
        client, lead_id, "accept", {"event_id": "stale", "salesperson_id": owners[0]}
    )
    last = await call(client, lead_id, "reject", {"event_id": "r-2", "reason": "too busy"})
    too_late = await call(client, lead_id, "accept", {"event_id": "late"})

    assert len(set(owners)) == 3, "never back to someone who had it"
    assert stale.status_code == 409
    assert last.json()["lead_status"] == "unassigned"
    assert last.json()["owner_id"] is None
    assert too_late.status_code == 409
    assert "unassigned" in too_late.json()["detail"]
    stored = await lead_now(client, lead_id)
    assert sorted(a["salesperson_id"] for a in stored["assignments"]) == sorted(owners)
    assert {a["stage"] for a in stored["assignments"]} == {"rejected"}

    records = await published_outcomes(kafka, topic_prefix, 3)
    rejected = [decode_as(r.value, LeadOutcomeRecorded).data for r in records]
    assert [str(r.reassigned_to) for r in rejected[:2]] == owners[1:]
    assert rejected[2].reassigned_to is None
    assert len(await read_all(kafka, topic_prefix + topics.LEADS_ASSIGNED)) == 3
