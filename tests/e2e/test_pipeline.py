"""The whole system as separate processes, as ``make run`` starts it: a webhook
POST to the scorer ends in one stored assignment and one CRM delivery."""

import json
from datetime import datetime
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import assigned_leads, crm_posts, system_ready
from tests.support.waiting import eventually


async def test_a_webhook_lead_ends_in_one_assignment_and_one_crm_post(
    system: dict[str, str],
) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        await system_ready(http, system)

        response = await http.post(
            f"{system['scorer']}/v1/webhooks/generic",
            json={
                "campaign_id": "spring-demo",
                "contact": {"email": "grace@example.com", "job_title": "CTO", "country": "US"},
                "company": {"name": "Hopper Systems"},
                "answers": {"interest": "demo"},
            },
            headers={"X-Correlation-ID": "e2e-1"},
        )
        assert response.status_code == 202, response.text

        (lead,) = await eventually(
            lambda: assigned_leads(http, system["router"], "e2e-1"),
            timeout_s=60,
            what="the lead assigned",
        )
        (request,) = await eventually(
            lambda: crm_posts(http, system["crm"]), timeout_s=60, what="the CRM post"
        )

        # Nothing more arrives: the relay has marked its deliveries done.
        leads_now = (await http.get(f"{system['router']}/v1/leads")).json()["items"]
        assert len(leads_now) == 1
        (assignment,) = lead["assignments"]
        assert request["correlation_id"] == "e2e-1"
        assert request["idempotency_key"] == assignment["id"]
        body = request["body"]
        assert body["correlation_id"] == "e2e-1"
        assert body["data"]["lead"]["contact"]["email"] == "grace@example.com"
        assert body["data"]["salesperson"]["id"] == assignment["salesperson_id"]
        assert response.headers["x-correlation-id"] == "e2e-1"

        # The webhook's receipt travels with the lead; the router times it to the CRM.
        webhook_at = datetime.fromisoformat(body["data"]["lead"]["received_at"])
        assert webhook_at <= datetime.fromisoformat(request["received_at"])

        async def timed() -> float | None:
            text = (await http.get(f"{system['router']}/metrics")).text
            count = sample(text, "router_lead_webhook_to_crm_seconds_count", crm="generic")
            return count or None

        assert await eventually(timed, timeout_s=30, what="webhook-to-CRM observed") == 1

    # Every line is JSON (libraries' too), and the lead's correlation id is on every
    # line about it, in both services.
    for service in ("scorer", "router"):
        lines = [
            json.loads(line)
            for line in (Path(system["logs"]) / f"{service}.log").read_text().splitlines()
            if line.strip()
        ]
        assert all("event" in line and "timestamp" in line for line in lines)
        about_lead = [
            line
            for line in lines
            if line.get("lead_id") == lead["id"] or line.get("lead_key") == lead["lead_key"]
        ]
        assert about_lead, f"{service} logged nothing about the lead"
        assert {line.get("correlation_id") for line in about_lead} == {"e2e-1"}, about_lead


def sample(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return None
