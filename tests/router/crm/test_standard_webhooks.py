"""Our outbound CRM webhook signed the Standard Webhooks way: a receiver verifies it with
that project's own library (``standardwebhooks.Webhook.verify``), through a rotation
(two secrets sign at once), and the CRM simulator refuses a stranger's signature."""

import base64
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import SecretStr, ValidationError
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from leadrouter_crm_simulator.app import create_app as create_crm
from leadrouter_router.settings import CrmSettings
from tests.router.crm.conftest import RouterDelivering
from tests.router.crm.support import send_leads, settled
from tests.support.servers import serving

NEW = "whsec_" + base64.b64encode(b"the-new-crm-secret-of-32-bytes!!").decode()
OLD = "whsec_" + base64.b64encode(b"the-old-crm-secret-of-32-bytes!!").decode()
STRANGER = "whsec_" + base64.b64encode(b"s" * 32).decode()


def receiver(received: list[tuple[bytes, dict[str, str]]]) -> FastAPI:
    app = FastAPI()

    @app.post("/assignments")
    async def assignments(request: Request) -> JSONResponse:
        received.append((await request.body(), dict(request.headers)))
        return JSONResponse({"status": "created"}, status_code=201)

    return app


async def test_a_receiver_verifies_our_signature_with_the_standardwebhooks_library(
    router_delivering: RouterDelivering, kafka: str, topic_prefix: str, database_url: str
) -> None:
    received: list[tuple[bytes, dict[str, str]]] = []
    async with serving(receiver(received)) as crm_url:
        crm = CrmSettings(
            url=f"{crm_url}/assignments", signing_secrets=[SecretStr(NEW), SecretStr(OLD)]
        )
        async with router_delivering(crm, database_url) as router:
            await send_leads(kafka, topic_prefix, range(1))
            [delivery] = await settled(router, 1, "delivered")

    ((body, headers),) = received
    # During the rotation a receiver that knows either secret verifies the request.
    for secret in (NEW, OLD):
        event: dict[str, Any] = Webhook(secret).verify(body, headers)
        assert event["type"] == "lead.assigned"
    with pytest.raises(WebhookVerificationError):
        Webhook(STRANGER).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(NEW).verify(body + b" ", headers)
    # The id is the assignment's, as the Idempotency-Key: the same on every retry.
    assert headers["webhook-id"] == headers["idempotency-key"] == event["data"]["assignment_id"]
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert "x-leadrouter-signature" not in headers  # the deprecated scheme is off
    assert json.loads(body)["event_id"] == event["event_id"]
    assert delivery["status"] == "delivered"


async def test_the_crm_simulator_takes_ours_and_refuses_a_strangers_signature(
    router_delivering: RouterDelivering, kafka: str, topic_prefix: str, tmp_path: object
) -> None:
    async with (
        serving(create_crm(signing_secret=OLD)) as crm_url,
        httpx.AsyncClient(base_url=crm_url) as crm,
    ):
        for n, secrets in enumerate(([NEW, OLD], [STRANGER])):
            async with router_delivering(
                CrmSettings(
                    url=f"{crm_url}/assignments", signing_secrets=[SecretStr(s) for s in secrets]
                ),
                f"sqlite+aiosqlite:///{tmp_path}/router{n}.db",
            ) as router:
                await send_leads(kafka, topic_prefix, range(n, n + 1))
                await settled(router, 1, "delivered" if n == 0 else "failed")
        received = (await crm.get("/requests")).json()

    assert [r["answered"] for r in received] == [201, 401]


def test_a_signing_secret_that_is_not_whsec_base64_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="whsec_"):
        CrmSettings(signing_secrets=[SecretStr("a-plain-password")])
