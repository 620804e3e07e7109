"""Local stand-ins for the CRMs' documented REST endpoints, in memory, for tests.

HubSpot CRM v3: https://developers.hubspot.com/docs/api/crm/contacts and
https://developers.hubspot.com/docs/api/crm/notes (search: .../crm/search; a duplicate
e-mail is a 409 whose message names the "Existing ID"; a bad token is a 401
INVALID_AUTHENTICATION). Salesforce REST: upsert by external id
(https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_upsert.htm:
201 created, 200 updated, with ``{id, success, errors, created}``; a bad session is a 401
``[{"errorCode": "INVALID_SESSION_ID"}]``).
"""

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response


@dataclass
class Seen:
    method: str
    path: str
    authorization: str | None
    body: Any


@dataclass
class HubSpotState:
    token: str
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    lose_note_answers: int = 0  # store the note, then answer 502 (the answer "lost")


def hubspot(state: HubSpotState) -> FastAPI:
    app = FastAPI()
    ids = itertools.count(1001)

    async def seen(request: Request) -> Any:
        body = await request.json() if await request.body() else None
        state.requests.append(
            Seen(request.method, request.url.path, request.headers.get("authorization"), body)
        )
        return body

    def unauthorised(request: Request) -> JSONResponse | None:
        if request.headers.get("authorization") != f"Bearer {state.token}":
            return JSONResponse(
                {
                    "status": "error",
                    "message": "Authentication credentials not found.",
                    "category": "INVALID_AUTHENTICATION",
                },
                status_code=401,
            )
        return None

    def value_of(body: Any) -> tuple[str, str, str]:
        f = body["filterGroups"][0]["filters"][0]
        return f["propertyName"], f["operator"], f["value"]

    @app.post("/crm/v3/objects/contacts/search")
    async def search_contacts(request: Request) -> Response:
        body = await seen(request)
        if (refused := unauthorised(request)) is not None:
            return refused
        name, _, value = value_of(body)
        found = [
            {"id": cid, "properties": props}
            for cid, props in state.contacts.items()
            if props.get(name) == value
        ]
        return JSONResponse({"total": len(found), "results": found})

    @app.post("/crm/v3/objects/contacts")
    async def create_contact(request: Request) -> Response:
        body = await seen(request)
        if (refused := unauthorised(request)) is not None:
            return refused
        props = body["properties"]
        for cid, existing in state.contacts.items():
            if existing.get("email") == props.get("email"):
                return JSONResponse(
                    {
                        "status": "error",
                        "category": "CONFLICT",
                        "message": f"Contact already exists. Existing ID: {cid}",
                    },
                    status_code=409,
                )
        cid = str(next(ids))
        state.contacts[cid] = dict(props)
        return JSONResponse({"id": cid, "properties": props}, status_code=201)

    @app.patch("/crm/v3/objects/contacts/{contact_id}")
    async def update_contact(contact_id: str, request: Request) -> Response:
        body = await seen(request)
        if (refused := unauthorised(request)) is not None:
            return refused
        if contact_id not in state.contacts:
            return JSONResponse({"status": "error", "category": "OBJECT_NOT_FOUND"}, 404)
        state.contacts[contact_id].update(body["properties"])
        return JSONResponse({"id": contact_id, "properties": state.contacts[contact_id]})

    @app.post("/crm/v3/objects/notes/search")
    async def search_notes(request: Request) -> Response:
        body = await seen(request)
        if (refused := unauthorised(request)) is not None:
            return refused
        name, _, value = value_of(body)
        found = [
            {"id": nid, "properties": note["properties"]}
            for nid, note in state.notes.items()
            if value in str(note["properties"].get(name, ""))
        ]
        return JSONResponse({"total": len(found), "results": found})

    @app.post("/crm/v3/objects/notes")
    async def create_note(request: Request) -> Response:
        body = await seen(request)
        if (refused := unauthorised(request)) is not None:
            return refused
        nid = str(next(ids))
        state.notes[nid] = body
        if state.lose_note_answers > 0:
            state.lose_note_answers -= 1
            return JSONResponse({"status": "error", "message": "Bad gateway"}, 502)
        return JSONResponse({"id": nid, "properties": body["properties"]}, status_code=201)

    return app


@dataclass
class SalesforceState:
    token: str
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)


SOBJECT_PREFIX = {"Lead": "00Q", "Task": "00T"}


def salesforce(state: SalesforceState) -> FastAPI:
    app = FastAPI()
    ids = itertools.count(1)
    path = "/services/data/{version}/sobjects/{sobject}/{field_name}/{value}"

    def unauthorised(request: Request) -> JSONResponse | None:
        if request.headers.get("authorization") != f"Bearer {state.token}":
            return JSONResponse(
                [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
                status_code=401,
            )
        return None

    @app.patch(path)
    async def upsert(sobject: str, field_name: str, value: str, request: Request) -> Response:
        body = await request.json()
        state.requests.append(
            Seen("PATCH", request.url.path, request.headers.get("authorization"), body)
        )
        if (refused := unauthorised(request)) is not None:
            return refused
        table = state.records.setdefault(sobject, {})
        if value in table:
            table[value].update(body)
            record_id, created = table[value]["Id"], False
        else:
            record_id = f"{SOBJECT_PREFIX.get(sobject, '001')}{next(ids):015d}"
            table[value] = {**body, "Id": record_id, field_name: value}
            created = True
        return JSONResponse(
            {"id": record_id, "success": True, "errors": [], "created": created},
            status_code=201 if created else 200,
        )

    @app.get(path)
    async def read(sobject: str, value: str, request: Request) -> Response:
        if (refused := unauthorised(request)) is not None:
            return refused
        record = state.records.get(sobject, {}).get(value)
        if record is None:
            return JSONResponse([{"errorCode": "NOT_FOUND", "message": "not found"}], 404)
        return JSONResponse({"Id": record["Id"]})

    return app


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
