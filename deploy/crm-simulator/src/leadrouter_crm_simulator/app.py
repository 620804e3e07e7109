"""The simulator's HTTP API: what the router posts, and what tests read back."""

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from pydantic import BaseModel, Field
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

log = logging.getLogger("crm_simulator")


class ReceivedRequest(BaseModel):
    received_at: datetime
    idempotency_key: str | None
    correlation_id: str | None
    authorization: str | None
    body: Any
    answered: int


class FailureMode(BaseModel):
    """Answer the next ``count`` requests with ``status`` (e.g. 503) instead of recording them."""

    status: int = Field(ge=400, le=599)
    count: int = Field(ge=0)
    retry_after: str | None = None


@dataclass
class CrmRecord:
    requests: list[ReceivedRequest] = field(default_factory=list)
    assignments: dict[str, Any] = field(default_factory=dict)
    failures_left: int = 0
    failure: FailureMode | None = None


def _summary(body: Any) -> str:
    try:
        data = body["data"]
        contact = data["lead"]["contact"]
        score = data["score"]
        return (
            f"{contact.get('email')} (score {score['value']}, grade {score['grade']}) "
            f"-> {data['salesperson']['name']}"
        )
    except (KeyError, TypeError):
        return "an assignment in an unknown shape"


def signature_valid(secret: str, request: Request, body: bytes, *, tolerance_s: int = 300) -> bool:
    """The router's signed webhook (docs/crm.md). A ``whsec_`` secret: Standard Webhooks,
    verified by that project's own library, as a CRM would; another secret: the
    deprecated ``X-Leadrouter-Signature`` (HMAC-SHA256 of ``timestamp.body``)."""
    if secret.startswith("whsec_"):
        try:
            Webhook(secret).verify(body, dict(request.headers), json_parse=False)
        except (WebhookVerificationError, ValueError):  # ValueError: a malformed header
            return False
        return True
    timestamp = request.headers.get("x-leadrouter-timestamp", "")
    header = request.headers.get("x-leadrouter-signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance_s:
        return False
    signed = timestamp.encode() + b"." + body
    expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))


def create_app(signing_secret: str | None = None) -> FastAPI:
    """With ``signing_secret``, unsigned or wrongly signed posts are answered 401."""
    app = FastAPI(title="CRM simulator", version="0.1.0")
    record = CrmRecord()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/assignments")
    async def receive(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode(errors="replace")
        key = request.headers.get("idempotency-key")
        status = 200
        if signing_secret is not None and not signature_valid(signing_secret, request, raw):
            status = 401
        elif record.failure is not None and record.failures_left > 0:
            record.failures_left -= 1
            status = record.failure.status
        elif key is not None and key in record.assignments:
            status = 200
        else:
            status = 201
            record.assignments[key or f"no-key-{len(record.requests)}"] = body
            log.info("CRM received assignment: %s", _summary(body))
        record.requests.append(
            ReceivedRequest(
                received_at=datetime.now(UTC),
                idempotency_key=key,
                correlation_id=request.headers.get("x-correlation-id"),
                authorization=request.headers.get("authorization"),
                body=body,
                answered=status,
            )
        )
        headers = {}
        if status >= 400 and record.failure is not None and record.failure.retry_after:
            headers["Retry-After"] = record.failure.retry_after
        return Response(
            content=json.dumps({"status": status}),
            status_code=status,
            media_type="application/json",
            headers=headers,
        )

    @app.get("/requests")
    async def requests() -> list[ReceivedRequest]:
        return record.requests

    @app.get("/assignments")
    async def assignments() -> dict[str, Any]:
        return record.assignments

    @app.put("/control/failure")
    async def fail(mode: FailureMode) -> FailureMode:
        record.failure, record.failures_left = mode, mode.count
        return mode

    return app
