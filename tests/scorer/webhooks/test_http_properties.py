"""Every webhook over HTTP (the scorer serving, the real broker), on any body and any
headers, signed or not: an answer below 500, and every refusal a problem document.

Hypothesis runs in a worker thread with a blocking client, so that the scorer keeps
serving in the test's event loop. Example counts are bounded
(``LEADROUTER_HTTP_EXAMPLES`` for a longer run).
"""

import asyncio
import json
import os
from collections.abc import Callable

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from leadrouter_scorer.settings import Settings
from tests.scorer.webhooks.conftest import SECRET
from tests.scorer.webhooks.samples import hex_signature, hubspot_headers, typeform_signature
from tests.scorer.webhooks.strategies import form_bodies, json_bodies
from tests.support.properties import examples

EXAMPLES = examples(
    int(os.environ.get("LEADROUTER_HTTP_EXAMPLES", "40")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
PROBLEM = "application/problem+json"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

# (body, url) -> (body, headers, query): the platform's own authentication.
Sign = Callable[[bytes, str], tuple[bytes, dict[str, str], dict[str, str]]]


def _google(body: bytes, _url: str) -> tuple[bytes, dict[str, str], dict[str, str]]:
    try:
        data = json.loads(body)
    except ValueError:
        return body, {}, {}
    if isinstance(data, dict):
        data["google_key"] = SECRET
        return json.dumps(data).encode(), {}, {}
    return body, {}, {}


SIGN: dict[str, Sign] = {
    "generic": lambda body, _url: (body, {}, {}),
    "hubspot": lambda body, url: (body, hubspot_headers(SECRET, url, body), {}),
    "typeform": lambda body, _url: (
        body,
        {"Typeform-Signature": typeform_signature(SECRET, body)},
        {},
    ),
    "google-ads": _google,
    "facebook": lambda body, _url: (body, {"X-Hub-Signature-256": hex_signature(SECRET, body)}, {}),
    "unbounce": lambda body, _url: (body, {}, {"token": SECRET}),
    "mailchimp": lambda body, _url: (body, {}, {"token": SECRET}),
}
MEDIA = {"unbounce": FORM, "mailchimp": FORM}

# Any header a client may send, but those that frame the request itself.
HEADER_NAMES = st.sampled_from(
    [
        "Content-Type",
        "X-Correlation-ID",
        "X-HubSpot-Signature-v3",
        "X-HubSpot-Request-Timestamp",
        "Typeform-Signature",
        "X-Hub-Signature-256",
        "User-Agent",
        "Accept",
    ]
) | st.from_regex(r"X-[A-Za-z0-9-]{1,20}", fullmatch=True)
HEADER_VALUES = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60).map(
    str.strip
)
HEADERS = st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=4)


SETTINGS_GROUPS = (
    "generic",
    "hubspot",
    "typeform",
    "google_ads",
    "facebook",
    "unbounce",
    "mailchimp",
)


@pytest.fixture
def scorer_settings(scorer_settings: Settings) -> Settings:
    """Generous rate limits: this test is about answers, not the limit."""
    webhooks = scorer_settings.webhooks
    sources = {
        name: getattr(webhooks, name).model_copy(
            update={"rate_limit_per_second": 10_000.0, "rate_limit_burst": 10_000}
        )
        for name in SETTINGS_GROUPS
    }
    return scorer_settings.model_copy(update={"webhooks": webhooks.model_copy(update=sources)})


# The scorer serving in this process (aiokafka) draws from the global `random` while
# Hypothesis generates in its thread; the strategies themselves do not use it.
@pytest.mark.filterwarnings("ignore:Do not use the `random` module inside strategies")
@pytest.mark.parametrize("source", list(SIGN))
async def test_any_body_and_headers_get_an_answer_below_500(
    source: str, scorer: httpx.AsyncClient
) -> None:
    base = str(scorer.base_url).rstrip("/")
    bodies = form_bodies() if source in MEDIA else json_bodies(source)
    seen: set[int] = set()

    def search() -> None:
        with httpx.Client(base_url=base, timeout=15) as http:

            @EXAMPLES
            @given(body=bodies, extra=HEADERS, signed=st.booleans())
            def answers(body: bytes, extra: dict[str, str], signed: bool) -> None:
                path = f"/v1/webhooks/{source}"
                content, headers, query = (
                    SIGN[source](body, f"{base}{path}") if signed else (body, {}, {})
                )
                response = http.post(
                    path,
                    content=content,
                    params=query,
                    headers={"Content-Type": MEDIA.get(source, JSON), **headers, **extra},
                )
                seen.add(response.status_code)
                assert response.status_code < 500, response.text
                if response.status_code >= 400:
                    assert response.headers["content-type"] == PROBLEM
                    assert response.json()["status"] == response.status_code

            answers()

    await asyncio.to_thread(search)
    # The search got past the door: some bodies were mapped or refused for their shape.
    assert seen & {200, 202, 400, 422}, seen
