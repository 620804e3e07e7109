"""Every platform over HTTP against the real broker: a valid delivery is on
``leads.received`` (key and mapping), a redelivery is acknowledged without a second
record, and a forged, oversize or malformed one is refused and leaves nothing."""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from leadrouter_schemas import Lead, LeadReceived, decode_as, topics
from tests.scorer.webhooks.conftest import MAX_BODY, SECRET
from tests.scorer.webhooks.samples import (
    fixture,
    fixture_json,
    hex_signature,
    hubspot_headers,
    typeform_signature,
    unbounce_form,
)
from tests.support.kafka import read_all

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

Signed = tuple[bytes, dict[str, str], dict[str, str]]  # body, headers, query


@dataclass(frozen=True)
class Platform:
    source: str
    content_type: str
    body: bytes
    malformed: bytes
    key: str
    sign: Callable[[bytes, str, str], Signed]  # (body, secret, url) -> request parts
    check: Callable[[Lead], None]
    query: tuple[tuple[str, str], ...] = ()


def _header(name: str, make: Callable[[str, bytes], str]) -> Callable[[bytes, str, str], Signed]:
    return lambda body, secret, _url: (body, {name: make(secret, body)}, {})


def _hubspot(body: bytes, secret: str, url: str) -> Signed:
    return body, hubspot_headers(secret, url, body), {}


def _google(body: bytes, secret: str, _url: str) -> Signed:
    # The key goes into the body, as Google sends it (the rest of the bytes unchanged).
    return body.replace(b"{", b'{"google_key": "' + secret.encode() + b'", ', 1), {}, {}


def _token(body: bytes, secret: str, _url: str) -> Signed:
    return body, {}, {"token": secret}


def _check_generic(lead: Lead) -> None:
    assert (lead.campaign_id, lead.contact.email) == ("spring-demo", "Ada@Example.com")


def _check_hubspot(lead: Lead) -> None:
    assert (lead.campaign_id, lead.contact.job_title) == ("from-the-url", "CTO")


def _check_typeform(lead: Lead) -> None:
    # Mapped from the Typeform form id in the settings.
    assert (lead.campaign_id, lead.contact.email) == ("spring-typeform", "ada@example.com")
    assert lead.raw == fixture_json("typeform_form_response.json")


def _check_google(lead: Lead) -> None:
    assert (lead.campaign_id, lead.contact.phone) == ("google-campaign", "+34600000000")
    assert "google_key" not in lead.raw


def _check_facebook(lead: Lead) -> None:
    assert (lead.campaign_id, lead.contact.last_name) == ("facebook-campaign", "Lovelace")


def _check_unbounce(lead: Lead) -> None:
    assert (lead.campaign_id, lead.company.name) == ("unbounce-campaign", "Analytical Engines")


def _check_mailchimp(lead: Lead) -> None:
    assert (lead.campaign_id, lead.contact.first_name) == ("mailchimp-campaign", "Mailchimp")


GOOGLE_BODY = json.dumps(
    {k: v for k, v in fixture_json("google_ads_lead.json").items() if k != "google_key"}
).encode()

PLATFORMS = [
    Platform(
        "generic",
        JSON,
        fixture("generic.json"),
        b'{"campaign_id": ',
        "generic:resp-1",
        lambda body, _secret, _url: (body, {}, {}),
        _check_generic,
    ),
    Platform(
        "hubspot",
        JSON,
        fixture("hubspot_contact.json"),
        b'{"vid": ',
        "hubspot:3234574",
        _hubspot,
        _check_hubspot,
        query=(("campaign_id", "from-the-url"),),
    ),
    Platform(
        "typeform",
        JSON,
        fixture("typeform_form_response.json"),
        b"not json",
        "typeform:a3a12ec67a1365927098a606107fac15",
        _header("Typeform-Signature", typeform_signature),
        _check_typeform,
    ),
    Platform(
        "google-ads",
        JSON,
        GOOGLE_BODY,
        b"{'lead_id': 1}",
        "google-ads:" + fixture_json("google_ads_lead.json")["lead_id"],
        _google,
        _check_google,
    ),
    Platform(
        "facebook",
        JSON,
        fixture("facebook_leadgen_webhook.json"),
        b'{"object": "page", ',
        "facebook:123123123123",
        _header("X-Hub-Signature-256", hex_signature),
        _check_facebook,
    ),
    Platform(
        "unbounce",
        FORM,
        unbounce_form(fixture_json("unbounce_data.json")),
        b"page_id=1&data.json=%7Bnot-json",
        "email:ada@example.com",
        _token,
        _check_unbounce,
    ),
    Platform(
        "mailchimp",
        FORM,
        fixture("mailchimp_subscribe.txt"),
        b"type=subscribe&data%5Bemail%5D=%FF%FE",
        "mailchimp:8a25ff1d98",
        _token,
        _check_mailchimp,
    ),
]


async def _post(
    scorer: httpx.AsyncClient, platform: Platform, body: bytes, *, secret: str = SECRET
) -> httpx.Response:
    path = f"/v1/webhooks/{platform.source}"
    query = dict(platform.query)
    url = str(scorer.base_url.join(path).copy_merge_params(query))
    content, headers, params = platform.sign(body, secret, url)
    return await scorer.post(
        path,
        content=content,
        params={**query, **params},
        headers={"Content-Type": platform.content_type, **headers},
    )


@pytest.mark.parametrize("platform", PLATFORMS, ids=lambda p: p.source)
async def test_platform_delivery_is_published_once_and_bad_ones_not_at_all(
    platform: Platform, scorer: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    forged = await _post(scorer, platform, platform.body, secret="forged-secret")
    oversize = await _post(scorer, platform, platform.body + b" " * MAX_BODY)
    malformed = await _post(scorer, platform, platform.malformed)
    accepted = await _post(scorer, platform, platform.body)
    redelivered = await _post(scorer, platform, platform.body)

    # Signed (or token-bearing) and unreadable: authentic, so quarantined, not refused.
    # Open generic and Google Ads (its key is inside the unreadable body) cannot tell.
    authentic = platform.source not in ("generic", "google-ads")
    expected = [401, 413, 202 if authentic else 400]
    if platform.source in ("generic",):
        expected[0] = 202  # unsigned unless secrets are set: the redelivery of one
    assert [forged.status_code, oversize.status_code, malformed.status_code] == expected
    for refused in (oversize, malformed) if not authentic else (oversize,):
        assert refused.headers["content-type"] == "application/problem+json"
    held = await read_all(kafka, topic_prefix + topics.WEBHOOKS_QUARANTINE)
    if authentic:
        assert malformed.json()["quarantined"] is True
        (kept,) = held
        assert kept.value == platform.malformed
        header_names = {name for name, _ in kept.headers}
        assert not {n for n in header_names if "signature" in n or "token" in n}
        assert dict(kept.headers)["webhook-source"] == platform.source.encode()
    else:
        assert held == []
    assert accepted.status_code == 202, accepted.text
    assert redelivered.status_code == 202, redelivered.text
    first, again = accepted.json(), redelivered.json()
    assert again["duplicate"]
    assert (again["event_id"], again["lead_key"]) == (first["event_id"], platform.key)

    (record,) = await read_all(kafka, topic_prefix + topics.LEADS_RECEIVED)
    assert record.key == platform.key.encode()
    event = decode_as(record.value, LeadReceived)
    assert str(event.event_id) == first["event_id"]
    assert event.source == f"webhook:{platform.source}"
    platform.check(event.data.lead)


async def test_a_stale_hubspot_signature_is_refused_and_a_previous_secret_accepted(
    scorer: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    body = fixture("hubspot_contact.json")
    url = str(scorer.base_url.join("/v1/webhooks/hubspot"))
    stale = hubspot_headers(SECRET, url, body, at_ms=int((time.time() - 360) * 1000))
    refused = await scorer.post(
        "/v1/webhooks/hubspot", content=body, headers={"Content-Type": JSON, **stale}
    )
    typeform = PLATFORMS[2]
    rotated = await _post(scorer, typeform, typeform.body, secret="previous-secret")

    assert (refused.status_code, rotated.status_code) == (401, 202)
    (record,) = await read_all(kafka, topic_prefix + topics.LEADS_RECEIVED)
    assert record.key == typeform.key.encode()
