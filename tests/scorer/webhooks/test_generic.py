"""``POST /v1/webhooks/generic`` against the real broker (the format of before, unchanged)."""

import json

import httpx

from leadrouter_schemas import LeadReceived, decode_as, topics
from tests.support.kafka import read_all, wait_for_records

VALID = {
    "campaign_id": "spring-demo",
    "external_id": "resp-1",
    "contact": {"email": "Ada@Example.com", "first_name": "Ada", "country": "ES"},
    "company": {"name": "Analytical Engines"},
    "answers": {"interest": "demo"},
    "attribution": {"utm_source": "newsletter"},
}


async def test_a_valid_lead_is_acknowledged_after_it_is_on_leads_received(
    scorer: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    response = await scorer.post(
        "/v1/webhooks/generic", json=VALID, headers={"X-Correlation-ID": "corr-webhook-1"}
    )

    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["correlation_id"] == "corr-webhook-1"
    assert accepted["lead_key"] == "generic:resp-1"
    # 202 came after the broker's acknowledgement: the record is already there.
    (record,) = await read_all(kafka, topic_prefix + topics.LEADS_RECEIVED)
    assert record.key == b"generic:resp-1"
    assert dict(record.headers)["correlation-id"] == b"corr-webhook-1"
    event = decode_as(record.value, LeadReceived)
    assert str(event.event_id) == accepted["event_id"]
    assert event.data.lead.contact.email == "Ada@Example.com"
    assert event.data.lead.attribution.utm_source == "newsletter"
    assert event.data.lead.raw == VALID


async def test_without_external_id_the_key_is_the_normalised_email(
    scorer: httpx.AsyncClient,
) -> None:
    body = {**VALID, "external_id": None}
    response = await scorer.post("/v1/webhooks/generic", json=body)
    assert response.status_code == 202
    assert response.json()["lead_key"] == "email:ada@example.com"


async def test_a_missing_correlation_id_gets_a_fresh_one(scorer: httpx.AsyncClient) -> None:
    first = await scorer.post("/v1/webhooks/generic", json=VALID)
    second = await scorer.post(
        "/v1/webhooks/generic",
        json={**VALID, "external_id": "resp-2"},
        headers={"X-Correlation-ID": "bad id!"},
    )
    ids = {first.json()["correlation_id"], second.json()["correlation_id"]}
    assert len(ids) == 2
    assert "bad id!" not in ids


async def test_bad_input_is_a_problem_document_and_produces_no_record(
    scorer: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    wrong_type = await scorer.post(
        "/v1/webhooks/generic", content=json.dumps(VALID), headers={"Content-Type": "text/plain"}
    )
    malformed = await scorer.post(
        "/v1/webhooks/generic",
        content=b'{"campaign_id": ',
        headers={"Content-Type": "application/json"},
    )
    violation = await scorer.post(
        "/v1/webhooks/generic", json={**VALID, "contact": {"email": 42}, "campaign_id": ""}
    )
    unknown_field = await scorer.post("/v1/webhooks/generic", json={**VALID, "surprise": 1})

    assert [r.status_code for r in (wrong_type, malformed, violation, unknown_field)] == [
        415,
        400,
        422,
        422,
    ]
    for response in (wrong_type, malformed, violation, unknown_field):
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == response.status_code
    named = {p["name"] for p in violation.json()["invalid-params"]}
    assert named == {"contact.email", "campaign_id"}
    assert {p["name"] for p in unknown_field.json()["invalid-params"]} == {"surprise"}

    # A valid lead after them is the only record on the topic.
    assert (await scorer.post("/v1/webhooks/generic", json=VALID)).status_code == 202
    records = await wait_for_records(kafka, topic_prefix + topics.LEADS_RECEIVED, 1)
    assert len(records) == 1


async def test_the_query_parameters_are_checked_as_the_openapi_document_declares(
    scorer: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    # The route reads its parameters itself (#15): the same 422 as FastAPI's own.
    empty = await scorer.post("/v1/webhooks/generic?campaign_id=", json=VALID)
    too_long = await scorer.post(f"/v1/webhooks/generic?campaign_id={'c' * 201}", json=VALID)

    for response in (empty, too_long):
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        (param,) = response.json()["invalid-params"]
        assert param["name"] == "query.campaign_id"
    assert "at least 1 character" in empty.json()["invalid-params"][0]["reason"]
    assert "at most 200 characters" in too_long.json()["invalid-params"][0]["reason"]
    # The last of repeated values counts, as for every FastAPI query parameter.
    repeated = await scorer.post(
        "/v1/webhooks/generic?campaign_id=&campaign_id=summer",
        json={key: value for key, value in VALID.items() if key != "campaign_id"},
    )
    assert repeated.status_code == 422  # the body's campaign_id is required all the same
    assert {p["name"] for p in repeated.json()["invalid-params"]} == {"campaign_id"}
    assert await read_all(kafka, topic_prefix + topics.LEADS_RECEIVED) == []


async def test_health_and_readiness(scorer: httpx.AsyncClient) -> None:
    assert (await scorer.get("/healthz")).json() == {"status": "ok", "checks": {}}
    ready = await scorer.get("/readyz")
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert {"kafka", "consumer"} <= set(checks)
    assert set(checks.values()) == {"ok"}


async def test_the_openapi_document_names_the_error_answers(scorer: httpx.AsyncClient) -> None:
    operation = (await scorer.get("/openapi.json")).json()["paths"]["/v1/webhooks/generic"]["post"]
    assert {"202", "400", "401", "413", "415", "422", "429", "503"} <= set(operation["responses"])
    body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert {"campaign_id", "contact"} <= set(body_schema["required"])
    paths = (await scorer.get("/openapi.json")).json()["paths"]
    for source in ("hubspot", "typeform", "google-ads", "facebook", "unbounce", "mailchimp"):
        codes = set(paths[f"/v1/webhooks/{source}"]["post"]["responses"])
        assert {"202", "400", "401", "413", "415", "422", "429", "503"} <= codes, source
    assert {"200", "403"} <= set(paths["/v1/webhooks/facebook"]["get"]["responses"])
    assert "404" in paths["/v1/webhooks/{source}"]["post"]["responses"]
