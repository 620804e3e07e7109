"""Callbacks under pressure (real broker, SQLite and PostgreSQL): concurrent repeats of
one event id get the first answer, and a time the CRM gives must be plausible."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.router.outcomes.support import OutcomeApi, call, lead_now, published_outcomes


async def test_concurrent_repeats_of_one_event_id_get_the_first_answer(
    outcome_api: OutcomeApi, lead: dict[str, Any], kafka: str, topic_prefix: str
) -> None:
    client, lead_id = outcome_api.client, lead["id"]

    answers = await asyncio.gather(
        *(call(client, lead_id, "accept", {"event_id": "crm-same"}) for _ in range(8))
    )

    assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers]
    assert len({a.text for a in answers}) == 1
    replayed = [a.headers.get("idempotent-replayed") for a in answers]
    assert sorted(replayed, key=str) == [None] + ["true"] * 7
    await published_outcomes(kafka, topic_prefix, 1)


async def test_a_time_in_the_future_or_before_the_assignment_is_refused(
    outcome_api: OutcomeApi, lead: dict[str, Any], kafka: str, topic_prefix: str
) -> None:
    client, lead_id = outcome_api.client, lead["id"]
    assigned_at = datetime.fromisoformat(lead["assignments"][0]["assigned_at"])
    now = datetime.now(UTC)
    times = {
        "t-year-2999": "2999-01-01T00:00:00Z",
        "t-tomorrow": (now + timedelta(days=1)).isoformat(),
        "t-day-early": (assigned_at - timedelta(days=1)).isoformat(),
        "t-overflow": "9999-12-31T23:59:59-23:59",
        "t-year-1": "0001-01-01T00:00:00+01:00",
    }
    refused = {
        event_id: await call(client, lead_id, "accept", {"event_id": event_id, "occurred_at": at})
        for event_id, at in times.items()
    }
    within_skew = (datetime.now(UTC) + timedelta(minutes=1)).replace(microsecond=0)
    accepted = await call(
        client,
        lead_id,
        "accept",
        {"event_id": "t-ok", "occurred_at": within_skew.isoformat()},
    )

    assert {k: r.status_code for k, r in refused.items()} == dict.fromkeys(times, 422)
    for answer in refused.values():
        assert answer.headers["content-type"] == "application/problem+json"
        assert [p["name"] for p in answer.json()["invalid-params"]] == ["occurred_at"]
    assert accepted.status_code == 200, accepted.text
    (assignment,) = (await lead_now(client, lead_id))["assignments"]
    assert datetime.fromisoformat(assignment["accepted_at"]) == within_skew
