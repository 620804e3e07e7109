"""The quarantine end to end, as processes on the real broker: a signed HubSpot
request whose form no campaign is mapped to is quarantined (202); the scorer is
restarted with the form mapped; ``leadrouter dlq replay`` puts the request back; it is
mapped, scored, routed, and posted to the CRM once."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadrouter_schemas import topics
from tests.cli.conftest import leadrouter
from tests.e2e.conftest import assigned_leads, crm_posts, router_process
from tests.scorer.webhooks.samples import fixture_json, post_hubspot
from tests.support.kafka import read_all
from tests.support.servers import ServiceProcess, free_port
from tests.support.waiting import eventually

SECRET = "e2e-hubspot-secret"
CAMPAIGN = "spring-demo"
CONTACT = fixture_json("hubspot_contact.json")
FORM = CONTACT["form-submissions"][0]["form-id"]
# From the US and without the consent (whose proof a HubSpot contact does not carry),
# so that the default criteria score the lead rather than reject it.
del CONTACT["properties"]["hs_legal_basis"]
CONTACT["properties"]["country"] = {"value": "US"}
BODY = json.dumps(CONTACT).encode()


@pytest.fixture
def system(
    kafka: str, topic_prefix: str, postgres_url: str, tmp_path: Path
) -> Iterator[dict[str, Any]]:
    ports = {name: free_port() for name in ("scorer", "router", "crm")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    kafka_env = {"BOOTSTRAP_SERVERS": kafka, "TOPIC_PREFIX": topic_prefix}
    scorer_env = {
        "SCORER_HTTP__PORT": str(ports["scorer"]),
        "SCORER_KAFKA__GROUP_ID": f"{topic_prefix}scorer",
        "SCORER_ACCEPT_UNKNOWN_CAMPAIGNS": "true",
        "SCORER_WEBHOOKS__HUBSPOT__SECRETS": json.dumps([SECRET]),
        **{f"SCORER_KAFKA__{k}": v for k, v in kafka_env.items()},
    }
    processes = [
        ServiceProcess(
            "leadrouter_crm_simulator",
            {"CRM_SIMULATOR_PORT": str(ports["crm"])},
            tmp_path / "crm.log",
        ),
        # PostgreSQL only: what is tested here is the scorer's quarantine and the
        # replay; the router stores the lead as in test_pipeline, on both databases.
        router_process(ports, urls, kafka_env, db=postgres_url, logs=tmp_path),
    ]
    scorers: list[ServiceProcess] = []

    def start_scorer(**env: str) -> ServiceProcess:
        scorer = ServiceProcess(
            "leadrouter_scorer", {**scorer_env, **env}, tmp_path / f"scorer-{len(scorers)}.log"
        )
        scorers.append(scorer)
        return scorer

    try:
        yield {**urls, "start_scorer": start_scorer}
    finally:
        for process in [*reversed(scorers), *reversed(processes)]:
            process.stop()


async def test_a_quarantined_request_is_replayed_once_mapped_and_reaches_the_crm(
    system: dict[str, Any], kafka: str, topic_prefix: str
) -> None:
    scorer_url, router_url, crm_url = system["scorer"], system["router"], system["crm"]
    unmapped = system["start_scorer"]()
    await unmapped.wait_ready(f"{scorer_url}/readyz", timeout_s=90)
    url = f"{scorer_url}/v1/webhooks/hubspot"
    async with httpx.AsyncClient(timeout=10) as http:
        first = await post_hubspot(http, url, BODY, secret=SECRET, correlation_id="quarantine-e2e")
        assert first.status_code == 202, first.text
        assert (first.json()["quarantined"], first.json()["location"]) == (True, "campaign_id")
        metrics = (await http.get(f"{scorer_url}/metrics")).text
        assert 'scorer_webhook_quarantined_total{source="hubspot"} 1.0' in metrics
        assert unmapped.stop() in (0, -15)

        # The form mapped to a campaign, the scorer restarted, the quarantine replayed.
        fixed = system["start_scorer"](
            SCORER_WEBHOOKS__HUBSPOT__CAMPAIGNS=json.dumps({FORM: CAMPAIGN})
        )
        await fixed.wait_ready(f"{scorer_url}/readyz", timeout_s=90)
        quarantine = topic_prefix + topics.WEBHOOKS_QUARANTINE
        replay = await leadrouter("dlq", "replay", quarantine, "-b", kafka)
        assert replay.code == 0, replay.stderr

        (lead,) = await eventually(
            lambda: assigned_leads(http, router_url, "quarantine-e2e"),
            timeout_s=90,
            what="the replayed lead assigned",
        )
        (request,) = await eventually(
            lambda: crm_posts(http, crm_url), timeout_s=60, what="the CRM post"
        )

    assert lead["lead_key"] == "hubspot:3234574"
    body = request["body"]["data"]["lead"]
    assert (body["campaign_id"], body["contact"]["email"]) == (CAMPAIGN, "ada@example.com")
    assert request["correlation_id"] == "quarantine-e2e"
    # Mapped once: one lead on leads.received, the quarantine kept as it was.
    assert len(await read_all(kafka, topic_prefix + topics.LEADS_RECEIVED)) == 1
    assert len(await read_all(kafka, quarantine)) == 1
