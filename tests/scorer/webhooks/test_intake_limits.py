"""Intake limits (decision 0103): authentic traffic is bounded only by what is in flight,
traffic that fails authentication by a small budget per source."""

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from leadrouter_runtime.parts import parts_of
from leadrouter_schemas import topics
from leadrouter_scorer.app import create_app
from leadrouter_scorer.settings import Settings
from leadrouter_scorer.webhooks.config import WebhookSettings
from leadrouter_scorer.webhooks.limits import IntakeLimits
from leadrouter_scorer.webhooks.problems import Saturated
from tests.scorer.webhooks.conftest import SECRET
from tests.scorer.webhooks.samples import as_json, fixture, typeform_signature
from tests.support.kafka import read_all
from tests.support.servers import serving
from tests.support.waiting import eventually

PROBLEM = "application/problem+json"


def test_a_slot_is_refused_only_when_max_in_flight_are_taken() -> None:
    limits = IntakeLimits(WebhookSettings(max_in_flight=2), monotonic=lambda: 0.0)
    with limits.slot(), limits.slot():
        with pytest.raises(Saturated) as refused, limits.slot():
            pass
        assert refused.value.headers == {"Retry-After": "1"}
    with limits.slot():
        assert limits.in_flight == 1
    assert limits.in_flight == 0


def test_the_unauthenticated_budget_is_per_source_and_refills() -> None:
    clock = [0.0]
    limits = IntakeLimits(
        WebhookSettings(unauthenticated_per_second=1.0, unauthenticated_burst=2),
        monotonic=lambda: clock[0],
    )
    assert [limits.unauthentic("typeform") is None for _ in range(3)] == [True, True, False]
    assert limits.unauthentic("hubspot") is None
    clock[0] = 1.0
    assert limits.unauthentic("typeform") is None


@pytest.fixture
async def strict_scorer(
    scorer_settings: Settings,
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    webhooks = scorer_settings.webhooks.model_copy(
        update={"unauthenticated_per_second": 0.01, "unauthenticated_burst": 3, "max_in_flight": 2}
    )
    app = create_app(scorer_settings.model_copy(update={"webhooks": webhooks}))
    async with (
        serving(app) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
    ):
        yield client, app


async def test_failed_signatures_spend_their_budget_and_authentic_leads_still_pass(
    strict_scorer: tuple[httpx.AsyncClient, FastAPI], kafka: str, topic_prefix: str
) -> None:
    client, _ = strict_scorer
    body = fixture("typeform_form_response.json")
    forged = [
        await client.post(
            "/v1/webhooks/typeform",
            content=body,
            headers={"Content-Type": "application/json", "Typeform-Signature": "sha256=Zm9v"},
        )
        for _ in range(5)
    ]
    unknown = [await client.post("/v1/webhooks/marketo", json={}) for _ in range(4)]
    authentic = await client.post(
        "/v1/webhooks/typeform",
        content=body,
        headers={
            "Content-Type": "application/json",
            "Typeform-Signature": typeform_signature(SECRET, body),
        },
    )

    assert [r.status_code for r in forged] == [401, 401, 401, 429, 429]
    assert [r.status_code for r in unknown] == [404, 404, 404, 429]
    for refused in (forged[-1], unknown[-1]):
        assert refused.headers["content-type"] == PROBLEM
        assert int(refused.headers["retry-after"]) >= 1
    assert authentic.status_code == 202, authentic.text
    assert len(await read_all(kafka, topic_prefix + topics.LEADS_RECEIVED)) == 1
    metrics = (await client.get("/metrics")).text
    assert 'scorer_webhook_requests_total{source="typeform",status="429"} 2.0' in metrics


async def test_past_max_in_flight_the_answer_is_503_with_retry_after(
    strict_scorer: tuple[httpx.AsyncClient, FastAPI],
) -> None:
    client, app = strict_scorer
    limits = parts_of(app).get(IntakeLimits)
    release = asyncio.Event()

    async def held() -> AsyncIterator[bytes]:
        yield b'{"campaign_id": "c", '
        await release.wait()
        yield b'"contact": {"email": "ada@example.com"}}'

    async def post_held() -> httpx.Response:
        return await client.post(
            "/v1/webhooks/generic", content=held(), headers={"Content-Type": "application/json"}
        )

    holding = [asyncio.create_task(post_held()) for _ in range(2)]

    async def both_in_flight() -> bool | None:
        return limits.in_flight == 2 or None

    await eventually(both_in_flight, what="two requests in flight")
    try:
        saturated = await client.post(
            "/v1/webhooks/generic",
            content=as_json({"campaign_id": "c", "contact": {"email": "x@example.com"}}),
            headers={"Content-Type": "application/json"},
        )
    finally:
        release.set()
    answers = await asyncio.gather(*holding)

    assert saturated.status_code == 503, saturated.text
    assert saturated.headers["content-type"] == PROBLEM
    assert saturated.headers["retry-after"] == "1"
    assert [a.status_code for a in answers] == [202, 202]
