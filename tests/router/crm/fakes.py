"""Generic-webhook CRMs that follow a script, for the delivery tests. HubSpot and
Salesforce are played by the CRM simulator (deploy/crm-simulator, crms.py)."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response


@dataclass
class ScriptedCrm:
    """A generic-webhook CRM whose next answers follow a script, one step per request:
    ``hold`` (no effect; wait for ``release``, then 503), ``apply_then_hold`` (record,
    then wait for ``release``: the answer never reaches a router killed meanwhile),
    ``slow`` (wait ``slow_s``, then record and answer), ``500``; then ``ok``. Recording
    honours the ``Idempotency-Key``: a key already recorded is answered 200, unchanged.
    """

    script: list[str] = field(default_factory=list)
    slow_s: float = 1.0
    effects: dict[str, Any] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)
    release: Any = None  # asyncio.Event, made in the test's loop
    in_flight: int = 0
    most_in_flight: int = 0


def scripted(crm: ScriptedCrm) -> FastAPI:
    app = FastAPI()
    if crm.release is None:
        crm.release = asyncio.Event()

    def apply(key: str, body: Any) -> int:
        if key in crm.effects:
            return 200
        crm.effects[key] = body
        return 201

    @app.post("/assignments")
    async def receive(request: Request) -> Response:
        body = await request.json()
        key = request.headers.get("idempotency-key", "")
        crm.seen.append(key)
        crm.in_flight += 1
        crm.most_in_flight = max(crm.most_in_flight, crm.in_flight)
        try:
            return await answer(key, body)
        finally:
            crm.in_flight -= 1

    async def answer(key: str, body: Any) -> Response:
        step = crm.script.pop(0) if crm.script else "ok"
        status = 503
        if step == "hold":
            await crm.release.wait()
        elif step == "apply_then_hold":
            status = apply(key, body)
            await crm.release.wait()
        elif step == "slow":
            await asyncio.sleep(crm.slow_s)
            status = apply(key, body)
        elif step == "500":
            status = 500
        else:
            status = apply(key, body)
        return JSONResponse({"status": status}, status_code=status)

    return app


@dataclass
class OwnerCrm:
    """A generic-webhook CRM that keeps each lead's owner the way a CRM does: the last
    assignment it takes sets the owner. A lead's first assignment is answered 500 until
    another assignment of that lead has been taken (a CRM failing while the router
    re-assigns). Recording honours the ``Idempotency-Key``."""

    owners: dict[str, str] = field(default_factory=dict)
    taken: list[tuple[str, str]] = field(default_factory=list)  # (lead id, assignment id)
    seen: list[tuple[str, str]] = field(default_factory=list)
    first_of_lead: dict[str, str] = field(default_factory=dict)

    def attempts(self, assignment_id: str) -> int:
        return sum(1 for _, key in self.seen if key == assignment_id)


def owner_crm(crm: OwnerCrm) -> FastAPI:
    app = FastAPI()

    @app.post("/assignments")
    async def receive(request: Request) -> Response:
        body = await request.json()
        key = request.headers.get("idempotency-key", "")
        lead_id = body["data"]["lead_id"]
        crm.seen.append((lead_id, key))
        first = crm.first_of_lead.setdefault(lead_id, key)
        if key == first and not any(lead == lead_id for lead, _ in crm.taken):
            return JSONResponse({"error": "internal"}, status_code=500)
        if any(taken == key for _, taken in crm.taken):
            return JSONResponse({"status": "duplicate"}, status_code=200)
        crm.taken.append((lead_id, key))
        crm.owners[lead_id] = body["data"]["salesperson"]["id"]
        return JSONResponse({"status": "created"}, status_code=201)

    return app
