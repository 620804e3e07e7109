"""The manager webhook deliverer against a local HTTP server: what is retried, what is
permanent, and what the receiver gets."""

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from leadrouter_router.platform.outbox import (
    OutboxMessage,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from leadrouter_router.sla.webhook import ManagerWebhook
from tests.support.servers import serving

ANSWERS = {"ok": (204, {}), "busy": (503, {"retry-after": "7"}), "bad": (400, {})}


def receiver(received: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.post("/{answer}")
    async def notify(answer: str, request: Request) -> Response:
        received.append({"body": await request.json(), "headers": dict(request.headers)})
        status, headers = ANSWERS[answer]
        return Response(status_code=status, headers=headers)

    return app


def message() -> OutboxMessage:
    return OutboxMessage(
        id=uuid.uuid4(),
        kind="webhook",
        destination="manager",
        key="lead-1",
        payload='{"type": "sla.breached", "lead_id": "lead-1"}',
        headers={"correlation-id": "corr-9", "event-type": "ignored"},
        idempotency_key="sla-a1",
        attempts=0,
    )


async def test_the_manager_receives_the_notification_with_its_keys() -> None:
    received: list[dict[str, Any]] = []
    async with serving(receiver(received)) as url, httpx.AsyncClient() as client:
        await ManagerWebhook(f"{url}/ok", client, token="s3cret")(message())
    (request,) = received
    assert request["body"] == {"type": "sla.breached", "lead_id": "lead-1"}
    assert request["headers"]["idempotency-key"] == "sla-a1"
    assert request["headers"]["correlation-id"] == "corr-9"
    assert request["headers"]["authorization"] == "Bearer s3cret"
    assert "event-type" not in request["headers"]


async def test_a_busy_receiver_is_retried_after_its_retry_after_and_a_400_is_final() -> None:
    async with serving(receiver([])) as url, httpx.AsyncClient() as client:
        with pytest.raises(RetryableDeliveryError) as busy:
            await ManagerWebhook(f"{url}/busy", client)(message())
        with pytest.raises(PermanentDeliveryError, match="400"):
            await ManagerWebhook(f"{url}/bad", client)(message())
        with pytest.raises(RetryableDeliveryError, match="unreachable"):
            await ManagerWebhook("http://127.0.0.1:9/x", client)(message())
    assert busy.value.retry_after_s == 7.0
