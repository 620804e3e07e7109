"""The simulator's HTTP API: what the router posts, and what tests read back."""

import asyncio
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request, Response
from pydantic import BaseModel, Field
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from leadrouter_crm_simulator.crms import CrmState, add_crm_routes
from leadrouter_crm_simulator.faults import FaultMode, FaultState
from leadrouter_crm_simulator.limits import Limits

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


class LedgerEntry(BaseModel):
    """One request in a compact form (no body): what the chaos checker reads."""

    seq: int
    received_at: datetime
    idempotency_key: str | None
    lead_id: str | None
    assignment_id: str | None
    salesperson_id: str | None
    answered: int
    recorded: bool = Field(description="This request changed the CRM (a new key).")


@dataclass
class CrmRecord:
    requests: list[ReceivedRequest] = field(default_factory=list)
    assignments: dict[str, Any] = field(default_factory=dict)
    failures_left: int = 0
    failure: FailureMode | None = None
    faults: FaultState = field(default_factory=FaultState)
    ledger: list[LedgerEntry] = field(default_factory=list)

    def note(self, key: str | None, body: Any, answered: int, *, recorded: bool) -> None:
        data = body.get("data") if isinstance(body, dict) else None
        data = data if isinstance(data, dict) else {}
        salesperson = data.get("salesperson")
        self.ledger.append(
            LedgerEntry(
                seq=len(self.ledger),
                received_at=datetime.now(UTC),
                idempotency_key=key,
                lead_id=_text(data.get("lead_id")),
                assignment_id=_text(data.get("assignment_id")),
                salesperson_id=_text(salesperson.get("id"))
                if isinstance(salesperson, dict)
                else None,
                answered=answered,
                recorded=recorded,
            )
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


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


def create_app(
    signing_secret: str | None = None,
    limits: Limits | None = None,
    crm_token: str | None = None,
    crms: CrmState | None = None,
) -> FastAPI:
    """With ``signing_secret``, unsigned or wrongly signed posts are answered 401. Besides
    the generic webhook it serves HubSpot's and Salesforce's endpoints (crms.py, state
    in ``crms``), within ``limits`` (limits.py) when their mode is a limit mode, and
    refuses a bearer token other than ``crm_token`` when one is given."""
    app = FastAPI(title="CRM simulator", version="0.1.0")
    record = CrmRecord()
    crms = crms or CrmState()
    crms.token = crm_token
    if limits is not None:
        crms.limits.set(limits)
    add_crm_routes(app, crms, record.faults)

    @app.get("/control/limits")
    async def current_limits() -> Limits:
        return crms.limits.limits

    @app.put("/control/limits")
    async def set_limits(limits: Limits) -> Limits:
        """Enforce ``limits`` from now on (counters start again); ``{"mode": "off"}`` ends it."""
        crms.limits.set(limits)
        log.info("CRM limits set: %s", limits.model_dump_json())
        return limits

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
        fault = None
        headers = {}
        recorded = False
        if signing_secret is not None and not signature_valid(signing_secret, request, raw):
            status = 401
        elif record.failure is not None and record.failures_left > 0:
            record.failures_left -= 1
            status = record.failure.status
            if record.failure.retry_after:
                headers["Retry-After"] = record.failure.retry_after
        elif (fault := record.faults.take(request.url.path)) is not None and fault.kind == "error":
            status = fault.status
        elif fault is not None and fault.kind == "rate_limit":
            status = 429
            headers["Retry-After"] = str(fault.retry_after_s)
        else:
            if fault is not None and fault.kind == "slow":
                await asyncio.sleep(fault.delay_s)
            if key is not None and key in record.assignments:
                status = 200
            else:
                status, recorded = 201, True
                record.assignments[key or f"no-key-{len(record.requests)}"] = body
                log.info("CRM received assignment: %s", _summary(body))
        record.note(key, body, status, recorded=recorded)
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
        if fault is not None and fault.kind == "hang":
            # Recorded already: the answer is what gets lost.
            await asyncio.sleep(fault.delay_s)
        if fault is not None and fault.kind == "lost_answer":
            status = fault.status  # recorded already; a gateway answers instead
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

    @app.get("/ledger")
    async def ledger(
        offset: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> list[LedgerEntry]:
        """Every request in arrival order, without bodies, a page at a time."""
        return record.ledger[offset : offset + limit]

    @app.put("/control/failure")
    async def fail(mode: FailureMode) -> FailureMode:
        record.failure, record.failures_left = mode, mode.count
        return mode

    @app.get("/control/faults")
    async def current_fault() -> FaultMode:
        return record.faults.mode

    @app.put("/control/faults")
    async def set_fault(mode: FaultMode) -> FaultMode:
        """Play ``mode`` from now on (``{"kind": "none"}`` ends it); see faults.py."""
        record.faults.set(mode)
        log.info("CRM fault set: %s", mode.model_dump_json())
        return mode

    return app
