"""The generic webhook signed the Standard Webhooks way (https://www.standardwebhooks.com):
bodies signed by that project's own Python library (``standardwebhooks``) are accepted,
replays and strangers are refused with a 401 problem, two secrets rotate, and the old
``X-Leadrouter-Signature`` works only while ``accept_legacy_signature`` allows it."""

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr
from standardwebhooks import Webhook

from leadrouter_runtime import standard_webhooks
from leadrouter_schemas import topics
from leadrouter_scorer.app import create_app
from leadrouter_scorer.settings import Settings
from leadrouter_scorer.webhooks.config import GenericSettings
from tests.support.kafka import read_all
from tests.support.servers import serving

# Secrets as Standard Webhooks makes them: `whsec_` + base64 of random bytes.
CURRENT = "whsec_" + base64.b64encode(b"c" * 24 + b"current-key-0001").decode()
PREVIOUS = "whsec_" + base64.b64encode(b"p" * 24 + b"previous-key-001").decode()
STRANGER = "whsec_" + base64.b64encode(b"s" * 32).decode()
PROBLEM = "application/problem+json"
NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def body(external_id: str) -> bytes:
    return json.dumps(
        {
            "campaign_id": "spring-demo",
            "external_id": external_id,
            "contact": {"email": "ada@example.com", "country": "GB"},
        }
    ).encode()


def signed(secret: str, payload: bytes, *, msg_id: str, at: datetime) -> dict[str, str]:
    """The headers a sender using the standardwebhooks library sends."""
    return {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, payload.decode()),
    }


@asynccontextmanager
async def scorer_with(
    scorer_settings: Settings, generic: GenericSettings
) -> AsyncIterator[httpx.AsyncClient]:
    webhooks = scorer_settings.webhooks.model_copy(update={"generic": generic})
    settings = scorer_settings.model_copy(update={"webhooks": webhooks})
    async with (
        serving(create_app(settings)) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=10) as client,
    ):
        yield client


ROTATING = GenericSettings(secrets=[SecretStr(CURRENT), SecretStr(PREVIOUS)])


async def test_a_body_signed_by_the_standardwebhooks_library_is_accepted(
    scorer_settings: Settings, kafka: str, topic_prefix: str
) -> None:
    now = datetime.now(UTC)
    async with scorer_with(scorer_settings, ROTATING) as scorer:
        current = await scorer.post(
            "/v1/webhooks/generic",
            content=body("sw-1"),
            headers=signed(CURRENT, body("sw-1"), msg_id="msg_1", at=now),
        )
        # During a rotation the sender may still sign with the previous secret...
        previous = await scorer.post(
            "/v1/webhooks/generic",
            content=body("sw-2"),
            headers=signed(PREVIOUS, body("sw-2"), msg_id="msg_2", at=now),
        )
        # ...or with both at once: `v1,<sig> v1,<sig2>`, one of them unknown here.
        both = signed(STRANGER, body("sw-3"), msg_id="msg_3", at=now)
        both["webhook-signature"] += " " + Webhook(PREVIOUS).sign(
            "msg_3", now, body("sw-3").decode()
        )
        two = await scorer.post("/v1/webhooks/generic", content=body("sw-3"), headers=both)

    assert [current.status_code, previous.status_code, two.status_code] == [202, 202, 202]
    records = await read_all(kafka, topic_prefix + topics.LEADS_RECEIVED)
    assert sorted(r.key for r in records) == [b"generic:sw-1", b"generic:sw-2", b"generic:sw-3"]


@pytest.mark.parametrize(
    ("case", "detail"),
    [
        ("replayed 6 minutes later", standard_webhooks.Verdict.STALE),
        ("signed 6 minutes ahead", standard_webhooks.Verdict.STALE),
        ("signed by a stranger", standard_webhooks.Verdict.MISMATCH),
        ("body changed", standard_webhooks.Verdict.MISMATCH),
        ("id changed", standard_webhooks.Verdict.MISMATCH),
        ("unsigned", standard_webhooks.Verdict.MISSING),
        ("legacy signature only", standard_webhooks.Verdict.MISSING),
    ],
)
async def test_replays_strangers_and_tampering_are_refused_with_a_401_problem(
    scorer_settings: Settings, kafka: str, topic_prefix: str, case: str, detail: str
) -> None:
    now = datetime.now(UTC)
    payload = body("sw-refused")
    headers = {
        "replayed 6 minutes later": signed(
            CURRENT, payload, msg_id="m", at=now - timedelta(minutes=6)
        ),
        "signed 6 minutes ahead": signed(
            CURRENT, payload, msg_id="m", at=now + timedelta(minutes=6)
        ),
        "signed by a stranger": signed(STRANGER, payload, msg_id="m", at=now),
        "body changed": signed(CURRENT, body("sw-other"), msg_id="m", at=now),
        "id changed": {**signed(CURRENT, payload, msg_id="m", at=now), "webhook-id": "m2"},
        "unsigned": {"Content-Type": "application/json"},
        "legacy signature only": {
            "Content-Type": "application/json",
            "X-Leadrouter-Signature": "sha256="
            + hmac.new(CURRENT.encode(), payload, hashlib.sha256).hexdigest(),
        },
    }[case]
    async with scorer_with(scorer_settings, ROTATING) as scorer:
        answer = await scorer.post("/v1/webhooks/generic", content=payload, headers=headers)

    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["detail"] == detail
    assert await read_all(kafka, topic_prefix + topics.LEADS_RECEIVED) == []


async def test_the_old_scheme_works_only_while_the_source_allows_it(
    scorer_settings: Settings, kafka: str, topic_prefix: str
) -> None:
    legacy_secret = "a-sender-of-the-old-scheme"
    payload = body("legacy-1")
    headers = {
        "Content-Type": "application/json",
        "X-Leadrouter-Signature": "sha256="
        + hmac.new(legacy_secret.encode(), payload, hashlib.sha256).hexdigest(),
    }
    allowed = GenericSettings(
        secrets=[SecretStr(CURRENT), SecretStr(legacy_secret)], accept_legacy_signature=True
    )
    async with scorer_with(scorer_settings, allowed) as scorer:
        accepted = await scorer.post("/v1/webhooks/generic", content=payload, headers=headers)
        # A Standard Webhooks signature that fails is not rescued by the old header.
        stale = {
            **headers,
            **signed(CURRENT, payload, msg_id="m", at=datetime.now(UTC) - timedelta(hours=1)),
        }
        refused = await scorer.post("/v1/webhooks/generic", content=payload, headers=stale)
    not_allowed = allowed.model_copy(update={"accept_legacy_signature": False})
    async with scorer_with(scorer_settings, not_allowed) as scorer:
        off = await scorer.post("/v1/webhooks/generic", content=body("legacy-2"), headers=headers)

    assert accepted.status_code == 202, accepted.text
    assert (refused.status_code, off.status_code) == (401, 401)
    (record,) = await read_all(kafka, topic_prefix + topics.LEADS_RECEIVED)
    assert record.key == b"generic:legacy-1"


def test_the_verdict_agrees_with_the_library_on_its_own_signatures() -> None:
    payload = body("pure")
    header = Webhook(CURRENT).sign("msg_p", NOW, payload.decode())
    ours = standard_webhooks.headers(
        [SecretStr(CURRENT)], webhook_id="msg_p", timestamp=int(NOW.timestamp()), body=payload
    )
    assert ours["webhook-signature"] == header

    def verdict(secrets: list[str], *, at: datetime = NOW) -> standard_webhooks.Verdict:
        return standard_webhooks.verdict(
            webhook_id="msg_p",
            timestamp=str(int(NOW.timestamp())),
            signature=header,
            body=payload,
            secrets=[SecretStr(s) for s in secrets],
            now=at,
        )

    assert verdict([CURRENT]) is standard_webhooks.Verdict.VALID
    assert verdict([PREVIOUS, CURRENT]) is standard_webhooks.Verdict.VALID
    assert verdict([PREVIOUS]) is standard_webhooks.Verdict.MISMATCH
    assert verdict([CURRENT], at=NOW + timedelta(seconds=300)) is standard_webhooks.Verdict.VALID
    assert verdict([CURRENT], at=NOW + timedelta(seconds=301)) is standard_webhooks.Verdict.STALE
    # A secret not of the whsec_ form takes no part (it may serve the old scheme).
    assert verdict(["plain-secret"]) is standard_webhooks.Verdict.MISMATCH
    assert standard_webhooks.key(SecretStr("whsec_not base64!")) is None
    rotating = standard_webhooks.headers(
        [SecretStr(PREVIOUS), SecretStr(CURRENT)], webhook_id="msg_p", timestamp=1, body=b""
    )
    assert len(rotating["webhook-signature"].split(" ")) == 2
