"""``leadrouter demo``: a bounded run against a real scorer on the real broker."""

import base64
import random
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from leadrouter_cli.demo import demo_lead, signature_headers
from leadrouter_schemas import LeadReceived, decode_as, topics
from leadrouter_scorer.app import create_app
from leadrouter_scorer.settings import Settings
from leadrouter_scorer.webhooks.schemas import GenericLead
from tests.cli.conftest import leadrouter
from tests.support.kafka import service_kafka, wait_for_records
from tests.support.servers import serving


async def test_demo_sends_count_leads_that_the_scorer_accepts(
    kafka: str, topic_prefix: str
) -> None:
    settings = Settings(kafka=service_kafka(kafka, topic_prefix, "scorer"))
    async with serving(create_app(settings)) as scorer_url:
        result = await leadrouter(
            "demo", "--count", "5", "--rate", "50", "--scorer-url", scorer_url, "--seed", "7"
        )

    assert result.code == 0, result
    assert "accepted 5 of 5" in result.stdout
    assert "202" in result.stdout  # the summary table's status column
    records = await wait_for_records(kafka, topic_prefix + topics.LEADS_RECEIVED, 5)
    leads = [decode_as(r.value, LeadReceived).data.lead for r in records]
    assert len({lead.lead_key for lead in leads}) == 5
    assert {lead.attribution.utm_source for lead in leads} == {"leadrouter-demo"}
    assert {r.key for r in records} == {lead.lead_key.encode() for lead in leads}


def test_demo_leads_are_valid_generic_webhook_bodies() -> None:
    rng = random.Random(3)
    bodies = [demo_lead(i, run_id="r1", campaign_id="spring-demo", rng=rng) for i in range(20)]
    for body in bodies:
        GenericLead.model_validate(body)  # the scorer's own request model
    assert len({body["external_id"] for body in bodies}) == 20


def test_the_signature_is_standard_webhooks_verifiable_by_its_library() -> None:
    secret = "whsec_" + base64.b64encode(b"demo-secret-of-24-bytes!").decode()
    body = b'{"campaign_id": "x"}'
    headers = signature_headers(secret, body, msg_id="msg_1", at=datetime.now(UTC))
    assert Webhook(secret).verify(body, headers) == {"campaign_id": "x"}
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)
