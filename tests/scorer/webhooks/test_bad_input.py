"""Bodies a parser would choke on, correctly signed (real broker): a 4xx problem
document, never a 500, on every JSON webhook, and nothing on leads.received."""

from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx
import pytest

from leadrouter_schemas import topics
from leadrouter_scorer.app import create_app
from leadrouter_scorer.settings import Settings
from tests.scorer.webhooks.conftest import SECRET
from tests.scorer.webhooks.samples import hex_signature, hubspot_headers, typeform_signature
from tests.support.kafka import read_all
from tests.support.servers import serving

DEEP = b'{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"  # ~100 KB, under the size limit


@pytest.fixture
async def roomy_scorer(scorer_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    webhooks = scorer_settings.webhooks.model_copy(update={"max_body_bytes": 256 * 1024})
    settings = scorer_settings.model_copy(update={"webhooks": webhooks})
    async with (
        serving(create_app(settings)) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
    ):
        yield client


def _signed(source: str, base_url: str, body: bytes) -> dict[str, str]:
    json_type = {"Content-Type": "application/json"}
    if source == "typeform":
        return {**json_type, "Typeform-Signature": typeform_signature(SECRET, body)}
    if source == "facebook":
        return {**json_type, "X-Hub-Signature-256": hex_signature(SECRET, body)}
    if source == "hubspot":
        url = f"{base_url}/v1/webhooks/hubspot"
        return {**json_type, **hubspot_headers(SECRET, url, body)}
    return json_type  # generic: open in these settings; google-ads: the key is inside


@pytest.mark.parametrize("source", ["generic", "hubspot", "typeform", "google-ads", "facebook"])
async def test_a_signed_body_nested_50000_levels_deep_is_a_4xx_problem(
    roomy_scorer: httpx.AsyncClient, kafka: str, topic_prefix: str, source: str
) -> None:
    base_url = str(roomy_scorer.base_url).rstrip("/")
    response = await roomy_scorer.post(
        f"/v1/webhooks/{source}", content=DEEP, headers=_signed(source, base_url, DEEP)
    )

    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text
    assert await read_all(kafka, topic_prefix + topics.LEADS_RECEIVED) == []


async def test_unbounce_data_json_nested_deep_is_a_400(
    roomy_scorer: httpx.AsyncClient,
) -> None:
    deep = "[" * 20_000 + "]" * 20_000
    body = urlencode({"page_id": "p", "data.json": '{"email": ' + deep + "}"})
    response = await roomy_scorer.post(
        "/v1/webhooks/unbounce",
        content=body.encode(),
        params={"token": SECRET},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"
