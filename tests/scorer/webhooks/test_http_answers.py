"""The answers every webhook shares: content type, schema, size while streaming, rate
limit, unknown source, Meta's verification and Graph API outage, metrics, OpenAPI."""

from collections.abc import AsyncIterator

import httpx

from leadrouter_schemas import LeadReceived, decode_as, topics
from leadrouter_scorer.app import create_app
from leadrouter_scorer.settings import Settings
from leadrouter_scorer.webhooks.config import GenericSettings, SourceSettings
from tests.scorer.webhooks.conftest import MAX_BODY, SECRET, VERIFY_TOKEN, FakeGraph
from tests.scorer.webhooks.samples import (
    fixture,
    fixture_json,
    hex_signature,
    typeform_signature,
)
from tests.support.kafka import read_all
from tests.support.servers import serving

PROBLEM = "application/problem+json"


async def _typeform(scorer: httpx.AsyncClient, body: bytes, content_type: str) -> httpx.Response:
    return await scorer.post(
        "/v1/webhooks/typeform",
        content=body,
        headers={
            "Content-Type": content_type,
            "Typeform-Signature": typeform_signature(SECRET, body),
        },
    )


async def test_refusals_are_problem_documents_naming_the_cause(
    scorer: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    body = fixture("typeform_form_response.json")
    wrong_type = await _typeform(scorer, body, "text/plain")
    # Our own format, open (no secret set): a body we cannot map is the caller's 422.
    # (A signed one is quarantined: tests/scorer/webhooks/test_quarantine.py.)
    no_response = await scorer.post("/v1/webhooks/generic", json={"campaign_id": "c1"})
    unknown = await scorer.post("/v1/webhooks/marketo", json={})

    async def endless() -> AsyncIterator[bytes]:
        for _ in range(MAX_BODY // 1024 + 2):
            yield b" " * 1024

    # No Content-Length (chunked): refused while reading, past the limit.
    streamed = await scorer.post(
        "/v1/webhooks/generic", content=endless(), headers={"Content-Type": "application/json"}
    )

    statuses = [r.status_code for r in (wrong_type, no_response, unknown, streamed)]
    assert statuses == [415, 422, 404, 413]
    for response in (wrong_type, no_response, unknown, streamed):
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["status"] == response.status_code
    assert "content-length" not in streamed.request.headers
    assert {p["name"] for p in no_response.json()["invalid-params"]} == {"contact"}
    assert await read_all(kafka, topic_prefix + topics.LEADS_RECEIVED) == []

    metrics = (await scorer.get("/metrics")).text
    for source, status in [
        ("typeform", 415),
        ("generic", 422),
        ("unknown", 404),
        ("generic", 413),
    ]:
        line = f'scorer_webhook_requests_total{{source="{source}",status="{status}"}} 1.0'
        assert line in metrics
    assert 'scorer_webhook_request_duration_seconds_count{source="generic"} 2.0' in metrics


async def test_over_the_rate_limit_is_429_with_retry_after(
    scorer_settings: Settings, kafka: str, topic_prefix: str
) -> None:
    webhooks = scorer_settings.webhooks.model_copy(
        update={"generic": GenericSettings(rate_limit_per_second=0.01, rate_limit_burst=2)}
    )
    settings = scorer_settings.model_copy(update={"webhooks": webhooks})
    body = fixture_json("generic.json")
    async with (
        serving(create_app(settings)) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
    ):
        answers = [
            await client.post("/v1/webhooks/generic", json={**body, "external_id": f"r{n}"})
            for n in range(3)
        ]
        # Another source has its own bucket.
        other = await client.post("/v1/webhooks/typeform", content=b"{}")
    assert [a.status_code for a in answers] == [202, 202, 429]
    assert answers[2].headers["content-type"] == PROBLEM
    assert int(answers[2].headers["retry-after"]) >= 1
    assert other.status_code == 415
    assert len(await read_all(kafka, topic_prefix + topics.LEADS_RECEIVED)) == 2


async def test_meta_verifies_then_a_graph_api_outage_stores_nothing_until_retried(
    scorer: httpx.AsyncClient, graph: FakeGraph, kafka: str, topic_prefix: str
) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "115820"}
    verified = await scorer.get("/v1/webhooks/facebook", params=params)
    refused = await scorer.get(
        "/v1/webhooks/facebook", params={**params, "hub.verify_token": "guess"}
    )
    assert (verified.status_code, verified.text) == (200, "115820")
    assert (refused.status_code, refused.headers["content-type"]) == (403, PROBLEM)

    body = fixture("facebook_leadgen_webhook.json")
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": hex_signature(SECRET, body),
    }
    graph.down = True
    outage = await scorer.post("/v1/webhooks/facebook", content=body, headers=headers)
    assert outage.status_code == 503
    assert outage.headers["retry-after"]
    assert await read_all(kafka, topic_prefix + topics.LEADS_RECEIVED) == []

    graph.down = False
    retried = await scorer.post("/v1/webhooks/facebook", content=body, headers=headers)
    again = await scorer.post("/v1/webhooks/facebook", content=body, headers=headers)
    assert (retried.status_code, again.status_code) == (202, 202)
    (record,) = await read_all(kafka, topic_prefix + topics.LEADS_RECEIVED)
    assert decode_as(record.value, LeadReceived).data.lead.contact.email == "ada@example.com"
    # The redelivery was answered from memory: the Graph API was asked twice, not three times.
    assert graph.requests == ["123123123123", "123123123123"]


async def test_mailchimp_checks_the_url_and_ignores_other_than_subscribe(
    scorer: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    checked = await scorer.get("/v1/webhooks/mailchimp", params={"token": SECRET})
    unsubscribe = await scorer.post(
        "/v1/webhooks/mailchimp",
        params={"token": SECRET},
        content=b"type=unsubscribe&data%5Bid%5D=8a25ff1d98&data%5Bemail%5D=api%40mailchimp.com",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    unchecked = await scorer.get("/v1/webhooks/mailchimp")
    assert (checked.status_code, unchecked.status_code) == (200, 401)
    assert (unsubscribe.status_code, unsubscribe.json()) == (200, {"ignored": "type unsubscribe"})
    assert await read_all(kafka, topic_prefix + topics.LEADS_RECEIVED) == []


async def test_a_platform_without_secret_accepts_nothing(
    scorer_settings: Settings, kafka: str, topic_prefix: str
) -> None:
    webhooks = scorer_settings.webhooks.model_copy(update={"typeform": SourceSettings()})
    settings = scorer_settings.model_copy(update={"webhooks": webhooks})
    async with (
        serving(create_app(settings)) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
    ):
        response = await _typeform(
            client, fixture("typeform_form_response.json"), "application/json"
        )
    assert response.status_code == 401
    assert "No secret" in response.json()["detail"]
