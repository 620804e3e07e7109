"""HubSpot's and Salesforce's REST endpoints that the router's adapters call, in memory,
with the limits of limits.py when a limit mode is on.

HubSpot CRM v3 (https://developers.hubspot.com/docs/api/crm/contacts,
https://developers.hubspot.com/docs/api/crm/notes, the batch endpoints' reference pages
under https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/batch/):

- one at a time: search contacts / notes, create a contact (409 "Existing ID: <id>" for
  a known e-mail), PATCH a contact, create a note;
- batches of at most 100 inputs: ``contacts/batch/read`` and ``notes/batch/read`` (by
  ``idProperty``: ``email``, or the notes' unique ``leadrouter_assignment_id``; unknown
  ids are a 207 with an ``OBJECT_NOT_FOUND`` error naming them), ``contacts/batch/upsert``
  (``idProperty: email``), ``contacts/batch/update`` (by id), ``notes/batch/create``
  (with associations; a value already taken for a unique property refuses the batch
  with 409, as HubSpot refuses a duplicate unique value).

Search is eventually consistent, as HubSpot's search guide says (a record created or
changed shows in search results only after a moment): a record is found by search only
``search_lag_s`` after its last write. Reads by id or unique property are consistent.

Salesforce REST: upsert one record by external id (``PATCH .../sobjects/<type>/<field>/<value>``,
https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_upsert.htm)
and sObject Collections upsert (``PATCH .../composite/sobjects/<type>/<field>``, at most
200 records, ``allOrNone``, one result per record in order: ``{id, success, errors,
created}``).

``GET /stats`` counts calls, answers, limit refusals and duplicates (two notes of one
assignment, two contacts of one e-mail, two tasks of one assignment).
"""

import asyncio
import hashlib
import itertools
import json
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response

from leadrouter_crm_simulator.faults import FaultState
from leadrouter_crm_simulator.limits import LimitState, Refusal

MARKER = re.compile(r"leadrouter-assignment-([0-9a-fA-F-]+)")
NOTE_KEY = "leadrouter_assignment_id"  # the notes' unique property (hasUniqueValue)


@dataclass
class HubSpotRecord:
    id: str
    properties: dict[str, Any]
    associations: list[Any] = field(default_factory=list)
    written_at: float = 0.0


@dataclass
class CrmState:
    limits: LimitState = field(default_factory=LimitState)
    contacts: dict[str, HubSpotRecord] = field(default_factory=dict)
    notes: dict[str, HubSpotRecord] = field(default_factory=dict)
    sobjects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    tasks_created: Counter[str] = field(default_factory=Counter)  # per external id
    calls: Counter[str] = field(default_factory=Counter)  # "<METHOD> <route>"
    answers: Counter[int] = field(default_factory=Counter)
    ids: Any = field(default_factory=lambda: itertools.count(1001))
    token: str | None = None  # when set, any other bearer token is answered 401

    def contact_by_email(self, email: str) -> HubSpotRecord | None:
        return next((c for c in self.contacts.values() if c.properties.get("email") == email), None)

    def note_by_key(self, key: str) -> HubSpotRecord | None:
        return next((n for n in self.notes.values() if n.properties.get(NOTE_KEY) == key), None)

    def stats(self) -> dict[str, Any]:
        markers = Counter(
            m.group(1)
            for n in self.notes.values()
            if (m := MARKER.search(str(n.properties.get("hs_note_body", ""))))
        )
        emails = Counter(c.properties.get("email") for c in self.contacts.values())
        return {
            "calls": sum(self.calls.values()),
            "by_call": dict(self.calls),
            "answers": {str(k): v for k, v in self.answers.items()},
            "refused_by_limits": self.limits.refused,
            "contacts": len(self.contacts),
            "notes": len(self.notes),
            "tasks": len(self.sobjects.get("Task", {})),
            "leads": len(self.sobjects.get("Lead", {})),
            "duplicate_notes": sum(n - 1 for n in markers.values() if n > 1),
            "duplicate_contacts": sum(n - 1 for n in emails.values() if n > 1),
            "duplicate_tasks": sum(n - 1 for n in self.tasks_created.values() if n > 1),
        }


Applied = tuple[int, Any]
Answer = Callable[..., Awaitable[Response]]


def _token(request: Request) -> str:
    # Limits are per token; only a digest is kept (no secret held or shown).
    raw = request.headers.get("authorization", "")
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        content=json.dumps(body),
        status_code=status,
        media_type="application/json",
        headers=headers or {},
    )


def add_crm_routes(app: FastAPI, state: CrmState, faults: FaultState) -> None:
    """Mount the HubSpot and Salesforce endpoints on ``app``."""

    async def answer(
        request: Request,
        route: str,
        apply: Callable[[Any], Applied],
        *,
        crm: str,
        search: bool = False,
        inputs: Callable[[Any], int] | None = None,
    ) -> Response:
        state.calls[f"{request.method} {route}"] += 1
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            body = None
        if state.token is not None and request.headers.get("authorization") != (
            f"Bearer {state.token}"
        ):
            state.answers[401] += 1
            return _json(401, *_unauthorised(crm))
        token = _token(request)
        limits = state.limits
        refusal: Refusal | None
        if crm == "hubspot":
            refusal = limits.hubspot(token, search=search)
            if refusal is None and inputs is not None:
                refusal = limits.hubspot_batch(_count(inputs, body))
        else:
            refusal = limits.salesforce()
            if refusal is None and inputs is not None:
                refusal = limits.salesforce_collection(_count(inputs, body))
        if refusal is not None:
            state.answers[refusal.status] += 1
            return _json(refusal.status, refusal.body, refusal.headers)
        headers = limits.hubspot_headers(token) if crm == "hubspot" else limits.salesforce_headers()
        fault = faults.take(request.url.path)
        if fault is not None and fault.kind == "error":
            state.answers[fault.status] += 1
            return _json(fault.status, {"status": "error", "message": "simulated"}, headers)
        if fault is not None and fault.kind == "rate_limit":
            state.answers[429] += 1
            headers["Retry-After"] = str(fault.retry_after_s)
            return _json(429, {"status": "error", "errorType": "RATE_LIMIT"}, headers)
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay_s)
        try:
            status, result = apply(body)
        except (KeyError, TypeError, IndexError, AttributeError) as error:
            status, result = 400, {"status": "error", "message": f"malformed body: {error!r}"}
        state.answers[status] += 1
        if fault is not None and fault.kind == "hang":
            await asyncio.sleep(fault.delay_s)  # applied already: the answer is what is lost
        if fault is not None and fault.kind == "lost_answer":
            return _json(fault.status, {"status": "error", "message": "Bad gateway"}, headers)
        return _json(status, result, headers)

    _hubspot_routes(app, state, answer)
    _salesforce_routes(app, state, answer)

    @app.get("/stats")
    async def stats() -> dict[str, Any]:
        """Calls, answers, limit refusals, records and duplicates of the CRM stand-ins."""
        return state.stats()


def _unauthorised(crm: str) -> tuple[Any]:
    if crm == "hubspot":  # https://developers.hubspot.com/docs/api/error-handling
        return (
            {
                "status": "error",
                "message": "Authentication credentials not found.",
                "category": "INVALID_AUTHENTICATION",
            },
        )
    return ([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],)


def _count(inputs: Callable[[Any], int], body: Any) -> int:
    try:
        return inputs(body)
    except (KeyError, TypeError):
        return 0


def _inputs(body: Any) -> int:
    return len(body["inputs"])


def _hubspot_routes(app: FastAPI, state: CrmState, answer: Answer) -> None:
    def now() -> float:
        return time.monotonic()

    def indexed(record: HubSpotRecord) -> bool:
        return now() - record.written_at >= state.limits.limits.search_lag_s

    def new_id() -> str:
        return str(next(state.ids))

    def view(record: HubSpotRecord, new: bool | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": record.id, "properties": record.properties}
        if new is not None:
            out["new"] = new
        return out

    def filter_of(body: Any) -> tuple[str, str]:
        f = body["filterGroups"][0]["filters"][0]
        return f["propertyName"], str(f["value"])

    def search_contacts(body: Any) -> Applied:
        name, value = filter_of(body)
        found = [
            view(c)
            for c in state.contacts.values()
            if c.properties.get(name) == value and indexed(c)
        ]
        return 200, {"total": len(found), "results": found[: body.get("limit", 10)]}

    def create_contact(body: Any) -> Applied:
        props = dict(body["properties"])
        existing = state.contact_by_email(props.get("email", ""))
        if existing is not None:
            return 409, {
                "status": "error",
                "category": "CONFLICT",
                "message": f"Contact already exists. Existing ID: {existing.id}",
            }
        record = HubSpotRecord(new_id(), props, written_at=now())
        state.contacts[record.id] = record
        return 201, view(record)

    def search_notes(body: Any) -> Applied:
        name, value = filter_of(body)
        found = [
            view(n)
            for n in state.notes.values()
            if value in str(n.properties.get(name, "")) and indexed(n)
        ]
        return 200, {"total": len(found), "results": found[: body.get("limit", 10)]}

    def create_note(body: Any) -> Applied:
        record = HubSpotRecord(
            new_id(), dict(body["properties"]), list(body.get("associations", [])), now()
        )
        state.notes[record.id] = record
        return 201, view(record)

    def batch_read(find: Callable[[str, str], HubSpotRecord | None]) -> Callable[[Any], Applied]:
        def apply(body: Any) -> Applied:
            id_property = body.get("idProperty") or "hs_object_id"
            results, missing = [], []
            for item in body["inputs"]:
                record = find(id_property, str(item["id"]))
                if record is None:
                    missing.append(str(item["id"]))
                else:
                    results.append(view(record))
            return _batch_answer(results, missing)

        return apply

    def find_contact(id_property: str, value: str) -> HubSpotRecord | None:
        if id_property == "email":
            return state.contact_by_email(value)
        return state.contacts.get(value)

    def find_note(id_property: str, value: str) -> HubSpotRecord | None:
        if id_property == NOTE_KEY:
            return state.note_by_key(value)
        return state.notes.get(value)

    def upsert_contacts(body: Any) -> Applied:
        results = []
        for item in body["inputs"]:
            if item.get("idProperty") != "email":
                return 400, {
                    "status": "error",
                    "category": "VALIDATION_ERROR",
                    "message": "idProperty must be a unique property (email)",
                }
            email = str(item["id"])
            record = state.contact_by_email(email)
            if record is None:
                record = HubSpotRecord(new_id(), {**item["properties"], "email": email})
                state.contacts[record.id] = record
                created = True
            else:
                record.properties.update(item["properties"])
                created = False
            record.written_at = now()
            results.append(view(record, new=created))
        return 200, {"status": "COMPLETE", "results": results}

    def update_contacts(body: Any) -> Applied:
        results, missing = [], []
        for item in body["inputs"]:
            record = state.contacts.get(str(item["id"]))
            if record is None:
                missing.append(str(item["id"]))
                continue
            record.properties.update(item["properties"])
            record.written_at = now()
            results.append(view(record))
        return _batch_answer(results, missing)

    def create_notes(body: Any) -> Applied:
        keys = [item["properties"].get(NOTE_KEY) for item in body["inputs"]]
        taken = [k for k in keys if k and state.note_by_key(k) is not None]
        if taken or len({k for k in keys if k}) < len([k for k in keys if k]):
            return 409, {
                "status": "error",
                "category": "CONFLICT",
                "message": f"A note already has {NOTE_KEY} {taken[0] if taken else '(repeated)'}",
            }
        results = []
        for item in body["inputs"]:
            record = HubSpotRecord(
                new_id(), dict(item["properties"]), list(item.get("associations", [])), now()
            )
            state.notes[record.id] = record
            results.append(view(record))
        return 201, {"status": "COMPLETE", "results": results}

    routes: list[tuple[str, str, Callable[[Any], Applied], dict[str, Any]]] = [
        ("POST", "/crm/v3/objects/contacts/search", search_contacts, {"search": True}),
        ("POST", "/crm/v3/objects/contacts", create_contact, {}),
        ("POST", "/crm/v3/objects/notes/search", search_notes, {"search": True}),
        ("POST", "/crm/v3/objects/notes", create_note, {}),
        (
            "POST",
            "/crm/v3/objects/contacts/batch/read",
            batch_read(find_contact),
            {"inputs": _inputs},
        ),
        ("POST", "/crm/v3/objects/contacts/batch/upsert", upsert_contacts, {"inputs": _inputs}),
        ("POST", "/crm/v3/objects/contacts/batch/update", update_contacts, {"inputs": _inputs}),
        ("POST", "/crm/v3/objects/notes/batch/read", batch_read(find_note), {"inputs": _inputs}),
        ("POST", "/crm/v3/objects/notes/batch/create", create_notes, {"inputs": _inputs}),
    ]
    for method, path, apply, options in routes:
        _route(app, method, path, path, apply, answer, crm="hubspot", **options)

    async def patch_contact(contact_id: str, request: Request) -> Response:
        def apply(body: Any) -> Applied:
            record = state.contacts.get(contact_id)
            if record is None:
                return 404, {"status": "error", "category": "OBJECT_NOT_FOUND"}
            record.properties.update(body["properties"])
            record.written_at = now()
            return 200, view(record)

        return await answer(request, "/crm/v3/objects/contacts/{id}", apply, crm="hubspot")

    app.add_api_route(
        "/crm/v3/objects/contacts/{contact_id}",
        patch_contact,
        methods=["PATCH"],
        include_in_schema=False,
    )


def _batch_answer(results: list[Any], missing: list[str]) -> Applied:
    if not missing:
        return 200, {"status": "COMPLETE", "results": results}
    return 207, {
        "status": "COMPLETE",
        "results": results,
        "numErrors": 1,
        "errors": [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": "Could not get some objects, they may be deleted or not exist.",
                "context": {"ids": missing},
            }
        ],
    }


def _route(
    app: FastAPI,
    method: str,
    path: str,
    route: str,
    apply: Callable[[Any], Applied],
    answer: Answer,
    **options: Any,
) -> None:
    async def endpoint(request: Request) -> Response:
        return await answer(request, route, apply, **options)

    app.add_api_route(path, endpoint, methods=[method], include_in_schema=False)


SOBJECT_PREFIX = {"Lead": "00Q", "Task": "00T"}


def _salesforce_routes(app: FastAPI, state: CrmState, answer: Answer) -> None:
    ids = itertools.count(1)

    def upsert(sobject: str, field_name: str, value: str, fields: dict[str, Any]) -> dict[str, Any]:
        table = state.sobjects.setdefault(sobject, {})
        if value in table:
            table[value].update(fields)
            return {"id": table[value]["Id"], "success": True, "errors": [], "created": False}
        record_id = f"{SOBJECT_PREFIX.get(sobject, '001')}{next(ids):015d}"
        table[value] = {**fields, "Id": record_id, field_name: value}
        if sobject == "Task":
            state.tasks_created[value] += 1
        return {"id": record_id, "success": True, "errors": [], "created": True}

    async def one(
        version: str, sobject: str, field_name: str, value: str, request: Request
    ) -> Response:
        def apply(body: Any) -> Applied:
            result = upsert(sobject, field_name, value, dict(body))
            return (201 if result["created"] else 200), result

        return await answer(
            request, "/services/data/{v}/sobjects/{type}/{field}/{value}", apply, crm="salesforce"
        )

    async def read(
        version: str, sobject: str, field_name: str, value: str, request: Request
    ) -> Response:
        def apply(body: Any) -> Applied:
            record = state.sobjects.get(sobject, {}).get(value)
            if record is None:
                return 404, [
                    {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
                ]
            return 200, {"Id": record["Id"]}

        return await answer(
            request,
            "GET /services/data/{v}/sobjects/{type}/{field}/{value}",
            apply,
            crm="salesforce",
        )

    async def collection(version: str, sobject: str, field_name: str, request: Request) -> Response:
        def apply(body: Any) -> Applied:
            results = []
            for record in body["records"]:
                fields = {k: v for k, v in record.items() if k != "attributes"}
                value = fields.pop(field_name, None)
                if record.get("attributes", {}).get("type") != sobject or not value:
                    results.append(
                        {
                            "success": False,
                            "errors": [
                                {
                                    "statusCode": "INVALID_FIELD",
                                    "message": f"a {sobject} with {field_name} is expected",
                                    "fields": [field_name],
                                }
                            ],
                        }
                    )
                    continue
                results.append(upsert(sobject, field_name, str(value), fields))
            return 200, results

        return await answer(
            request,
            "/services/data/{v}/composite/sobjects/{type}/{field}",
            apply,
            crm="salesforce",
            inputs=lambda body: len(body["records"]),
        )

    base = "/services/data/{version}"
    app.add_api_route(
        f"{base}/sobjects/{{sobject}}/{{field_name}}/{{value}}",
        one,
        methods=["PATCH"],
        include_in_schema=False,
    )
    app.add_api_route(
        f"{base}/sobjects/{{sobject}}/{{field_name}}/{{value}}",
        read,
        methods=["GET"],
        include_in_schema=False,
    )
    app.add_api_route(
        f"{base}/composite/sobjects/{{sobject}}/{{field_name}}",
        collection,
        methods=["PATCH"],
        include_in_schema=False,
    )
