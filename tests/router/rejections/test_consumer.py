"""The ``leads.rejected`` consumer against the real broker and both databases: each
rejection counted once in the funnel, per campaign and reason; garbage dead-lettered."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from leadrouter_router.platform.db import create_engine
from leadrouter_router.rejections.models import RejectionRow
from leadrouter_schemas import LeadRejected, LeadRejectedData, RejectionReason, encode, topics
from tests.router.api_support import READ
from tests.router.outcomes.support import OutcomeApi, assigned_lead
from tests.support.kafka import produce, wait_for_records
from tests.support.samples import lead
from tests.support.waiting import eventually


def rejected(
    name: str,
    campaign_id: str,
    codes: list[str],
    *,
    occurred_at: datetime,
    **lead_times: datetime,
) -> LeadRejected:
    """A verdict as the scorer makes it (services/scorer .../scoring/handlers.py);
    ``lead_times``: the lead's ``received_at`` (the webhook's) or ``submitted_at``."""
    person = lead(f"{name}@mailinator.com", campaign_id=campaign_id).model_copy(update=lead_times)
    return LeadRejected(
        occurred_at=occurred_at,
        source="scorer",
        correlation_id=f"corr-{name}",
        data=LeadRejectedData(
            lead=person,
            reasons=tuple(
                RejectionReason(code=code, message=f"{code} failed", field="contact.email")
                for code in codes
            ),
        ),
    )


async def funnel(client: httpx.AsyncClient, since: datetime, until: datetime, **params: str) -> Any:
    answer = await client.get(
        "/v1/reports/funnel",
        params={"from": since.isoformat(), "to": until.isoformat(), **params},
        headers=READ,
    )
    assert answer.status_code == 200, answer.text
    return {c["campaign_id"]: c for c in answer.json()["campaigns"]}


async def test_rejections_are_counted_once_per_campaign_and_reason_and_garbage_dead_lettered(
    outcome_api: OutcomeApi, kafka: str, topic_prefix: str, database_url: str
) -> None:
    now = datetime.now(UTC)
    since, until = now - timedelta(hours=1), now + timedelta(hours=1)
    long_ago = now - timedelta(days=40)
    first = rejected(
        "first",
        "spring-demo",
        ["email.disposable", "consent.missing"],
        occurred_at=now,
        received_at=now,
    )
    events = [
        first,
        # Submitted long ago on the platform, but it came in now (no webhook time:
        # produced straight to leads.received): it counts when it was rejected.
        rejected(
            "late", "spring-demo", ["email.disposable"], occurred_at=now, submitted_at=long_ago
        ),
        rejected(
            "junk",
            "no-such-campaign",
            ["campaign.unknown", "field.missing", "field.missing"],
            occurred_at=now,
        ),
        # Received by the webhook long ago and judged only now (a scorer backlog):
        # it counts when it was received.
        rejected("old", "spring-demo", ["spam.honeypot"], occurred_at=now, received_at=long_ago),
    ]
    topic = topic_prefix + topics.LEADS_REJECTED
    client = outcome_api.client
    await assigned_lead(client, kafka, topic_prefix)  # one scored lead of spring-demo
    # One key: one partition, so the records are handled in the order produced.
    await produce(kafka, topic, [encode(e) for e in events], key=b"email:x")

    async def all_stored() -> bool:
        report = await funnel(client, long_ago - timedelta(days=1), until)
        counted: int = sum(c["rejected"] for c in report.values())
        return counted == len(events)

    await eventually(all_stored, what="every rejection counted")
    # A redelivery after all were stored, then garbage: once the garbage is
    # dead-lettered, the batch holding the redelivery has been committed.
    await produce(kafka, topic, [encode(first), b"{not json"], key=b"email:x")
    (letter,) = await wait_for_records(kafka, topics.dead_letter(topic), 1)

    period = await funnel(client, since, until)
    back_then = await funnel(client, long_ago - timedelta(hours=1), long_ago + timedelta(hours=1))
    only_junk = await funnel(client, since, until, campaign_id="no-such-campaign")

    spring, junk = period["spring-demo"], period["no-such-campaign"]
    assert {k: spring[k] for k in ("received", "valid", "rejected", "assigned")} == {
        "received": 3,  # the scored lead and two rejected ones
        "valid": 1,
        "rejected": 2,
        "assigned": 1,
    }
    assert spring["rejected_by_reason"] == {"email.disposable": 2, "consent.missing": 1}
    assert spring["rates"]["valid"] == 1 / 3
    assert spring["rates"]["assigned"] == 1.0
    assert {k: junk[k] for k in ("received", "valid", "rejected", "assigned")} == {
        "received": 1,
        "valid": 0,
        "rejected": 1,
        "assigned": 0,
    }
    assert junk["rejected_by_reason"] == {"campaign.unknown": 1, "field.missing": 1}
    assert junk["rates"]["assigned"] is None
    assert back_then["spring-demo"]["rejected_by_reason"] == {"spam.honeypot": 1}
    assert back_then["spring-demo"]["received"] == 1
    assert list(only_junk) == ["no-such-campaign"]

    headers = dict(letter.headers)
    assert letter.value == b"{not json"
    assert letter.key == b"email:x"
    assert headers["dlq-source-topic"] == topic.encode()
    assert headers["dlq-error-type"] == b"json_invalid"
    assert headers["dlq-error-location"] == b"line 1 column 2"
    assert headers["dlq-reason"] == b"not a LeadRejected v1: json_invalid at line 1 column 2"

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(select(RejectionRow))).all()
    finally:
        await engine.dispose()
    assert sorted(row.correlation_id for row in rows) == sorted(e.correlation_id for e in events)
    stored = {row.event_id: row for row in rows}[first.event_id]
    assert stored.reason_codes == ["email.disposable", "consent.missing"]
    assert (stored.received_at, stored.rejected_at) == (now, now)
    assert stored.submitted_at == first.data.lead.submitted_at
    assert not [row for row in rows if "mailinator" in repr(tuple(row))], "no personal data"
