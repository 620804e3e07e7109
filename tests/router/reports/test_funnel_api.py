"""GET /v1/reports/funnel over what the router stored (SQLite and PostgreSQL)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.router.api_support import READ
from tests.router.outcomes.support import OutcomeApi, assigned_lead, work


async def test_the_funnel_reports_a_period_of_a_campaign(
    outcome_api: OutcomeApi, kafka: str, topic_prefix: str
) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    client = outcome_api.client
    won = await assigned_lead(client, kafka, topic_prefix)
    await assigned_lead(client, kafka, topic_prefix)
    other = await assigned_lead(client, kafka, topic_prefix, campaign_id="autumn-demo")
    # The CRM's own time of the first touch: 90 s after the assignment, so that the
    # funnel's time to first touch has one value it must report exactly.
    assigned_at = datetime.fromisoformat(won["assignments"][0]["assigned_at"])
    touched_at = (assigned_at + timedelta(seconds=90)).isoformat()
    await work(
        client,
        won["id"],
        (
            ("accept", {}),
            ("activity", {"channel": "meeting", "occurred_at": touched_at}),
            ("outcome", {"outcome": "won", "value": 900, "currency": "EUR"}),
        ),
    )
    until = datetime.now(UTC) + timedelta(minutes=1)
    report = await client.get(
        "/v1/reports/funnel",
        params={
            "campaign_id": "spring-demo",
            "from": since.isoformat(),
            "to": until.isoformat(),
        },
        headers=READ,
    )
    everything = await client.get("/v1/reports/funnel", headers=READ)
    backwards = await client.get(
        "/v1/reports/funnel",
        params={"from": until.isoformat(), "to": since.isoformat()},
        headers=READ,
    )

    assert report.status_code == 200, report.text
    body = report.json()
    assert body["campaign_id"] == "spring-demo"
    assert datetime.fromisoformat(body["from"]) == since
    assert datetime.fromisoformat(body["to"]) == until
    (funnel,) = body["campaigns"]
    assert {
        k: funnel[k]
        for k in (
            "received",
            "valid",
            "assigned",
            "accepted",
            "contacted",
            "won",
            "lost",
            "bought_elsewhere",
        )
    } == {
        "received": 2,
        "valid": 2,
        "assigned": 2,
        "accepted": 1,
        "contacted": 1,
        "won": 1,
        "lost": 0,
        "bought_elsewhere": 0,
    }
    assert funnel["rates"]["won"] == 0.5
    assert funnel["time_to_assign"]["count"] == 2
    assert funnel["time_to_first_touch"] == {
        "count": 1,
        "p50_s": pytest.approx(90.0, abs=0.001),
        "p90_s": pytest.approx(90.0, abs=0.001),
    }
    assert sum(p["assignments"] for p in body["salespeople"]) == 2
    assert sum(p["won"] for p in body["salespeople"]) == 1
    (demo,) = [p for p in body["pools"] if p["pool"] == won["assignments"][0]["pool"]]
    assert (demo["members"], demo["assignments"]) == (3, 2)
    assert demo["gini"] is not None
    assert 0 <= demo["gini"] < 1
    campaigns = {c["campaign_id"] for c in everything.json()["campaigns"]}
    assert {"spring-demo", other["campaign_id"]} <= campaigns
    assert backwards.status_code == 400
    assert backwards.headers["content-type"] == "application/problem+json"


def test_the_openapi_document_describes_the_rejected_counts(router_openapi: dict[str, Any]) -> None:
    document = router_openapi
    funnel = document["components"]["schemas"]["CampaignFunnelOut"]
    fields = funnel["properties"]
    assert {"received", "valid", "rejected", "rejected_by_reason", "rates"} <= set(
        funnel["required"]
    )
    assert fields["rejected_by_reason"]["additionalProperties"] == {"type": "integer"}
    assert "rejected" in fields["received"]["description"]
    assert "valid / received" in fields["rates"]["description"]
    assert (
        "rejected_by_reason" not in document["components"]["schemas"]["FunnelReport"]["properties"]
    )
