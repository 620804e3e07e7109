"""Authentic but unmappable requests, against the real broker: kept raw on the
quarantine topic with the reason (no secret), answered 202, counted in /metrics; and
mapped again from ``webhooks.raw`` once ``leadrouter dlq replay`` puts them there."""

import json
from typing import Any

import httpx

from leadrouter_schemas import LeadReceived, LeadScored, decode_as, topics
from leadrouter_scorer.app import create_app
from leadrouter_scorer.settings import Settings
from leadrouter_scorer.webhooks.service import event_id_for
from tests.cli.conftest import invoke
from tests.scorer.webhooks.conftest import SECRET
from tests.scorer.webhooks.samples import (
    as_json,
    fixture_json,
    post_hubspot,
    typeform_signature,
)
from tests.support.kafka import read_all, wait_for_records
from tests.support.servers import serving
from tests.support.waiting import eventually

_HUBSPOT_FORM_SUBMISSION = fixture_json("hubspot_contact.json")["form-submissions"][0]
HUBSPOT_FORM = _HUBSPOT_FORM_SUBMISSION["form-id"]
HUBSPOT_DELIVERY = _HUBSPOT_FORM_SUBMISSION["conversion-id"]
# From the US and without the consent (whose proof, IP and time, a HubSpot contact does
# not carry), so that the default criteria score the lead rather than reject it.
_CONTACT = fixture_json("hubspot_contact.json")
del _CONTACT["properties"]["hs_legal_basis"]
_CONTACT["properties"]["country"] = {"value": "US"}
HUBSPOT_BODY = as_json(_CONTACT)


def _headers(record: Any) -> dict[str, str]:
    return {name: bytes(value).decode() for name, value in record.headers}


async def _typeform(scorer: httpx.AsyncClient, body: bytes, **headers: str) -> httpx.Response:
    return await scorer.post(
        "/v1/webhooks/typeform",
        content=body,
        params={"campaign_id": "from-the-url"},
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Typeform-Signature": typeform_signature(SECRET, body),
            **headers,
        },
    )


async def test_a_signed_body_of_an_unknown_shape_is_quarantined_raw_with_its_reason(
    scorer: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    body = as_json({"event_id": "e1", "event_type": "form_response"})  # no form_response
    response = await _typeform(scorer, body, **{"X-Correlation-ID": "quarantine-1"})

    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["quarantined"] is True
    assert (answer["location"], answer["correlation_id"]) == ("form_response", "quarantine-1")
    (kept,) = await read_all(kafka, topic_prefix + topics.WEBHOOKS_QUARANTINE)
    assert kept.value == body
    assert (kept.key or b"").startswith(b"typeform:sha256:")
    headers = _headers(kept)
    assert headers == {
        "webhook-source": "typeform",
        "content-type": "application/json; charset=utf-8",
        "correlation-id": "quarantine-1",
        "webhook-received-at": headers["webhook-received-at"],
        "webhook-campaign-id": "from-the-url",
        "dlq-reason": "cannot map: missing at form_response",
        "dlq-error-type": "missing",
        "dlq-error-location": "form_response",
        "dlq-source-topic": topic_prefix + topics.WEBHOOKS_RAW,
    }
    signature = response.request.headers["typeform-signature"]
    assert all(signature not in value for value in headers.values())
    assert await read_all(kafka, topic_prefix + topics.LEADS_RECEIVED) == []

    metrics = (await scorer.get("/metrics")).text
    assert 'scorer_webhook_quarantined_total{source="typeform"} 1.0' in metrics
    assert 'scorer_webhook_quarantined_total{source="hubspot"} 0.0' in metrics
    assert 'scorer_webhook_requests_total{source="typeform",status="202"} 1.0' in metrics


async def test_a_google_ads_lead_with_a_valid_key_but_no_lead_id_is_kept_without_the_key(
    scorer: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    lead = {k: v for k, v in fixture_json("google_ads_lead.json").items() if k != "lead_id"}
    lead["google_key"] = SECRET
    response = await scorer.post(
        "/v1/webhooks/google-ads",
        content=as_json(lead),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 202, response.text
    assert response.json()["location"] == "lead_id"
    (kept,) = await read_all(kafka, topic_prefix + topics.WEBHOOKS_QUARANTINE)
    assert SECRET.encode() not in kept.value
    stored = json.loads(kept.value)
    assert stored == {k: v for k, v in lead.items() if k != "google_key"}


async def test_a_forged_or_unreadable_unsigned_request_is_refused_not_quarantined(
    scorer: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    body = as_json({"event_id": "e1", "event_type": "form_response"})
    forged = await scorer.post(
        "/v1/webhooks/typeform",
        content=body,
        headers={"Content-Type": "application/json", "Typeform-Signature": "sha256=AAAA"},
    )
    open_generic = await scorer.post("/v1/webhooks/generic", content=b"{not json")

    assert (forged.status_code, open_generic.status_code) == (401, 415)
    assert await read_all(kafka, topic_prefix + topics.WEBHOOKS_QUARANTINE) == []


async def test_a_replayed_delivery_is_mapped_once_its_form_is_mapped_and_then_scored(
    scorer_settings: Settings, kafka: str, topic_prefix: str
) -> None:
    # No campaign for this HubSpot form: not in the URL, not mapped, no default.
    unmapped = scorer_settings.model_copy(deep=True)
    unmapped.accept_unknown_campaigns = True
    unmapped.webhooks.hubspot.default_campaign_id = None
    body = HUBSPOT_BODY
    quarantine = topic_prefix + topics.WEBHOOKS_QUARANTINE
    async with (
        serving(create_app(unmapped)) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
    ):
        url = f"{base_url}/v1/webhooks/hubspot"
        first = await post_hubspot(client, url, body, secret=SECRET, correlation_id="replay-1")
        assert first.status_code == 202, first.text
        assert first.json()["location"] == "campaign_id"

        # Replayed while still unmapped: back in the quarantine, counted as such.
        replay = await invoke("dlq", "replay", quarantine, "-b", kafka)
        assert replay.code == 0, replay.stderr
        await wait_for_records(kafka, quarantine, 2)

        async def requarantined() -> str | None:
            text = (await client.get("/metrics")).text
            line = 'scorer_webhook_remapped_total{outcome="quarantined",source="hubspot"} 1.0'
            return line if line in text else None

        await eventually(requarantined, timeout_s=30, what="the replay counted")

    # The mapping fixed (the form's campaign set), the latest quarantined copy replayed:
    # no signature is checked again (the stale timestamp would fail it now).
    fixed = unmapped.model_copy(deep=True)
    fixed.webhooks.hubspot.campaigns = {HUBSPOT_FORM: "spring-hubspot"}
    async with serving(create_app(fixed)):
        replay = await invoke("dlq", "replay", quarantine, "--from-offset", "1", "-b", kafka)
        assert replay.code == 0, replay.stderr
        (received,) = await wait_for_records(kafka, topic_prefix + topics.LEADS_RECEIVED, 1)
        (scored,) = await wait_for_records(kafka, topic_prefix + topics.LEADS_SCORED, 1)

    event = decode_as(received.value, LeadReceived)
    assert event.event_id == event_id_for("hubspot", HUBSPOT_DELIVERY)
    assert event.correlation_id == "replay-1"
    lead = event.data.lead
    assert (lead.campaign_id, lead.external_id) == ("spring-hubspot", "3234574")
    verdict = decode_as(scored.value, LeadScored)
    assert verdict.data.lead.lead_key == lead.lead_key == "hubspot:3234574"
    assert verdict.correlation_id == "replay-1"
