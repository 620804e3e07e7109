"""One adapter per CRM, chosen by ``ROUTER_CRM__KIND``. Each turns a batch of
``lead.assigned`` events into the CRM's documented calls (HubSpot's batch endpoints,
Salesforce's sObject Collections: a few calls per batch, not per lead), gives one result
per assignment, and is safe to run again after any partial failure (the relay retries
what failed): see docs/crm.md, "Idempotency".
"""

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from leadrouter_router.crm.answers import raise_for_answer
from leadrouter_router.crm.calls import CrmCalls
from leadrouter_router.crm.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from leadrouter_router.platform.outbox import (
    OutboxMessage,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from leadrouter_router.settings import CrmSettings
from leadrouter_runtime import standard_webhooks
from leadrouter_schemas import LeadAssigned


@dataclass(frozen=True, slots=True)
class Delivery:
    event: LeadAssigned
    message: OutboxMessage


Result = BaseException | None


class CrmAdapter(Protocol):
    name: str
    max_batch: int  # the CRM's documented batch size

    async def deliver_batch(self, calls: CrmCalls, deliveries: Sequence[Delivery]) -> list[Result]:
        """One result per delivery, in order: None (delivered) or the error."""
        ...


def adapter_for(settings: CrmSettings) -> CrmAdapter:
    if settings.kind == "hubspot":
        return HubSpotAdapter(settings)
    if settings.kind == "salesforce":
        return SalesforceAdapter(settings)
    return GenericWebhook(settings)


def _bearer(settings: CrmSettings) -> dict[str, str]:
    if settings.token is None:
        return {}
    return {"Authorization": f"Bearer {settings.token.get_secret_value()}"}


def talk_track(event: LeadAssigned) -> str:
    """The text a salesperson reads in the CRM: why them, the score and its reasons."""
    data = event.data
    lines = [
        f"Lead from campaign {data.campaign_id}: score {data.score.value} "
        f"(grade {data.score.grade}, fit {data.score.fit}, intent {data.score.intent}).",
        f"Why you: {data.reason}",
    ]
    lines += [
        f"- {c.rule} ({c.axis}{f', {c.input}' if c.input else ''}): {c.points:+g}"
        for c in data.score.explanation
    ]
    if data.sla_deadline is not None:
        lines.append(f"Accept by {data.sla_deadline.isoformat()}.")
    kit = data.sales_kit
    if kit is not None:
        if kit.talk_track:
            lines += ["", "Talk track:", kit.talk_track]
        if kit.materials:
            lines += ["", "Material:"] + [f"- {m.title}: {m.url}" for m in kit.materials]
        if kit.case_studies:
            lines += ["", "Case studies:"]
            lines += [
                f"- {c.title}: {c.summary}{f' ({c.url})' if c.url else ''}"
                for c in kit.case_studies
            ]
        if kit.benchmarks:
            lines += ["", "Benchmarks:"]
            lines += [
                f"- {b.claim}{f' (source: {b.source})' if b.source else ''}" for b in kit.benchmarks
            ]
    return "\n".join(lines)


def _owner(event: LeadAssigned, crm: str) -> str:
    owner = event.data.salesperson.crm_user_id
    if not owner:
        raise PermanentDeliveryError(
            f"{event.data.salesperson.name} has no crm_user_id: {crm} needs the owner's id"
        )
    return owner


class GenericWebhook:
    """POST of the event as JSON to ``ROUTER_CRM__URL``, signed the Standard Webhooks way
    when ``signing_secrets`` are set (and the deprecated way while ``signing_secret`` is)."""

    name = "generic"
    max_batch = 100  # one POST per assignment, concurrently (CrmCalls bounds them)

    def __init__(self, settings: CrmSettings, clock: Callable[[], float] = time.time) -> None:
        self._settings = settings
        self._clock = clock

    async def deliver_batch(self, calls: CrmCalls, deliveries: Sequence[Delivery]) -> list[Result]:
        results = await asyncio.gather(
            *(self._deliver(calls, d.message) for d in deliveries), return_exceptions=True
        )
        return [r if isinstance(r, BaseException) else None for r in results]

    async def _deliver(self, calls: CrmCalls, message: OutboxMessage) -> None:
        body = message.payload.encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.idempotency_key,
            "X-Correlation-ID": message.headers.get("correlation-id", ""),
            **_bearer(self._settings),
        }
        timestamp = int(self._clock())
        if self._settings.signing_secrets:
            # Standard Webhooks; the id is the same on every retry (the assignment's).
            headers |= standard_webhooks.headers(
                self._settings.signing_secrets,
                webhook_id=message.idempotency_key,
                timestamp=timestamp,
                body=body,
            )
        if self._settings.signing_secret is not None:  # deprecated scheme
            headers[TIMESTAMP_HEADER] = str(timestamp)
            headers[SIGNATURE_HEADER] = signature(
                self._settings.signing_secret.get_secret_value(), timestamp, body
            )
        response = await calls.request("POST", self._settings.url, content=body, headers=headers)
        raise_for_answer(response, crm=self.name)


# Note-to-contact association (HUBSPOT_DEFINED type 202), from
# https://developers.hubspot.com/docs/api/crm/associations#association-type-id-values
NOTE_TO_CONTACT = 202
# HubSpot's batch endpoints take at most 100 inputs (their reference pages).
HUBSPOT_BATCH = 100
# Salesforce's sObject Collections take at most 200 records (the upsert's reference page).
SALESFORCE_COLLECTION = 200


def _fail_all(indices: Sequence[int], results: list[Result], error: BaseException) -> None:
    for i in indices:
        results[i] = error


def _checked(
    deliveries: Sequence[Delivery], check: Callable[[LeadAssigned], None]
) -> tuple[list[Result], list[int]]:
    """Each delivery's result so far (a permanent failure where ``check`` raised one)
    and the positions of those that passed."""
    results: list[Result] = [None] * len(deliveries)
    ready: list[int] = []
    for i, delivery in enumerate(deliveries):
        try:
            check(delivery.event)
            ready.append(i)
        except PermanentDeliveryError as error:
            results[i] = error
    return results, ready


class HubSpotAdapter:
    """CRM v3 batch endpoints (https://developers.hubspot.com/docs/api/crm/contacts), at
    most 100 assignments a batch and five calls at most for all of them, none a search:

    1. ``contacts/batch/read`` by ``idProperty=email``: which contacts exist;
    2. ``contacts/batch/update``: the existing ones get their owner (``hubspot_owner_id``);
    3. ``contacts/batch/upsert`` by ``email``: the others are created with the lead's
       details and owner (an upsert, so one created meanwhile is updated, not doubled);
    4. ``notes/batch/read`` by ``idProperty=leadrouter_assignment_id`` (a unique property
       of notes holding the assignment id): which assignments have their note already;
    5. ``notes/batch/create`` for the others, each with the talk track, that unique
       property and its association to the contact.

    Reads by id or unique property are consistent, unlike search (whose index lags
    writes): a retry after a lost answer finds the notes the lost call made, and a
    second creation with the same assignment id is refused by HubSpot (409) anyway."""

    name = "hubspot"
    max_batch = HUBSPOT_BATCH

    def __init__(self, settings: CrmSettings) -> None:
        self._base = settings.hubspot.base_url.rstrip("/")
        self._note_key = settings.hubspot.note_key_property
        self._headers = {"Content-Type": "application/json", **_bearer(settings)}

    async def _call(self, calls: CrmCalls, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await calls.request("POST", self._base + path, json=body, headers=self._headers)
        raise_for_answer(response, crm=self.name)
        answer: dict[str, Any] = response.json()
        return answer

    def _check(self, event: LeadAssigned) -> None:
        _owner(event, self.name)
        if not event.data.lead.contact.email:
            raise PermanentDeliveryError("the lead has no e-mail: HubSpot contacts are found by it")

    async def deliver_batch(self, calls: CrmCalls, deliveries: Sequence[Delivery]) -> list[Result]:
        results, ready = _checked(deliveries, self._check)
        if not ready:
            return results
        try:
            contacts = await self._contacts(calls, [deliveries[i].event for i in ready])
            await self._notes(calls, [deliveries[i].event for i in ready], contacts)
        except (RetryableDeliveryError, PermanentDeliveryError) as error:
            _fail_all(ready, results, error)
        return results

    async def _contacts(self, calls: CrmCalls, events: list[LeadAssigned]) -> dict[str, str]:
        """The contact id of each e-mail, each contact owned by its assignment's owner."""
        latest = {e.data.lead.contact.email or "": e for e in events}  # the last one wins
        read = await self._call(
            calls,
            "/crm/v3/objects/contacts/batch/read",
            {
                "idProperty": "email",
                "properties": ["email", "hubspot_owner_id"],
                "inputs": [{"id": email} for email in latest],
            },
        )
        ids = {
            str(r["properties"].get("email", "")).lower(): str(r["id"])
            for r in read.get("results", [])
        }
        found = {email: ids[email.lower()] for email in latest if email.lower() in ids}
        if found:
            await self._call(
                calls,
                "/crm/v3/objects/contacts/batch/update",
                {
                    "inputs": [
                        {
                            "id": cid,
                            "properties": {"hubspot_owner_id": _owner(latest[email], self.name)},
                        }
                        for email, cid in found.items()
                    ]
                },
            )
        missing = [email for email in latest if email not in found]
        if missing:
            upserted = await self._call(
                calls,
                "/crm/v3/objects/contacts/batch/upsert",
                {
                    "inputs": [
                        {
                            "id": email,
                            "idProperty": "email",
                            "properties": self._new_contact(latest[email]),
                        }
                        for email in missing
                    ]
                },
            )
            for r in upserted.get("results", []):
                email = str(r.get("properties", {}).get("email", ""))
                match = next((m for m in missing if m.lower() == email.lower()), None)
                if match is not None:
                    found[match] = str(r["id"])
        if len(found) < len(latest):
            raise RetryableDeliveryError("HubSpot answered without the id of every contact")
        return found

    def _new_contact(self, event: LeadAssigned) -> dict[str, str]:
        contact = event.data.lead.contact
        properties = {
            "email": contact.email,
            "firstname": contact.first_name,
            "lastname": contact.last_name,
            "phone": contact.phone,
            "company": event.data.lead.company.name,
            "hubspot_owner_id": _owner(event, self.name),
        }
        return {k: v for k, v in properties.items() if v is not None}

    async def _notes(
        self, calls: CrmCalls, events: list[LeadAssigned], contacts: dict[str, str]
    ) -> None:
        keys = {str(e.data.assignment_id): e for e in events}
        read = await self._call(
            calls,
            "/crm/v3/objects/notes/batch/read",
            {
                "idProperty": self._note_key,
                "properties": [self._note_key],
                "inputs": [{"id": key} for key in keys],
            },
        )
        noted = {str(r["properties"].get(self._note_key)) for r in read.get("results", [])}
        new = [(key, event) for key, event in keys.items() if key not in noted]
        if not new:
            return  # every note made by an earlier attempt whose answer was lost
        await self._call(
            calls,
            "/crm/v3/objects/notes/batch/create",
            {
                "inputs": [
                    self._note(key, e, contacts[e.data.lead.contact.email or ""]) for key, e in new
                ]
            },
        )

    def _note(self, key: str, event: LeadAssigned, contact_id: str) -> dict[str, Any]:
        return {
            "properties": {
                "hs_timestamp": event.data.assigned_at.isoformat(),
                "hs_note_body": f"{talk_track(event)}\n\nleadrouter-assignment-{key}",
                "hubspot_owner_id": _owner(event, self.name),
                self._note_key: key,
            },
            "associations": [
                {
                    "to": {"id": contact_id},
                    "types": [
                        {
                            "associationCategory": "HUBSPOT_DEFINED",
                            "associationTypeId": NOTE_TO_CONTACT,
                        }
                    ],
                }
            ],
        }


# Salesforce errors of one record that a later attempt may get past.
_TRANSIENT_SALESFORCE = {"UNABLE_TO_LOCK_ROW", "REQUEST_RUNNING_TOO_LONG", "SERVER_UNAVAILABLE"}


class SalesforceAdapter:
    """REST API sObject Collections
    (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_upsert.htm):
    two calls for up to 200 assignments. Upsert the Leads by an external id field (the
    lead id) with their ``OwnerId``, then upsert one Task each by an external id field
    (the assignment id), ``allOrNone`` false so that one bad record fails alone. Upserts
    by external id make retries harmless. A 401 is permanent: the router does not
    refresh OAuth tokens."""

    name = "salesforce"
    max_batch = SALESFORCE_COLLECTION

    def __init__(self, settings: CrmSettings) -> None:
        sf = settings.salesforce
        self._base = f"{sf.instance_url.rstrip('/')}/services/data/{sf.api_version}"
        self._lead_field = sf.lead_external_id_field
        self._task_field = sf.task_external_id_field
        self._headers = {"Content-Type": "application/json", **_bearer(settings)}

    def _check(self, response: httpx.Response) -> None:
        if response.status_code == 401:
            raise PermanentDeliveryError(
                f"salesforce refused the token (401: {response.text[:300]}); set a fresh "
                "ROUTER_CRM__TOKEN, the router does not refresh OAuth tokens"
            )
        raise_for_answer(response, crm=self.name)

    async def _upsert(
        self, calls: CrmCalls, sobject: str, field: str, records: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        response = await calls.request(
            "PATCH",
            f"{self._base}/composite/sobjects/{sobject}/{field}",
            json={
                "allOrNone": False,
                "records": [{"attributes": {"type": sobject}, **r} for r in records],
            },
            headers=self._headers,
        )
        self._check(response)
        answer: list[dict[str, Any]] = response.json()
        if len(answer) != len(records):
            raise RetryableDeliveryError(
                f"salesforce answered {len(answer)} results for {len(records)} records"
            )
        return answer

    def _record_error(self, result: dict[str, Any]) -> BaseException:
        errors = result.get("errors") or []
        text = f"CRM refused the record (salesforce): {errors!r}"[:800]
        codes = {str(e.get("statusCode") or e.get("errorCode")) for e in errors}
        if codes & _TRANSIENT_SALESFORCE:
            return RetryableDeliveryError(text)
        return PermanentDeliveryError(text)

    def _check_owner(self, event: LeadAssigned) -> None:
        _owner(event, self.name)

    async def deliver_batch(self, calls: CrmCalls, deliveries: Sequence[Delivery]) -> list[Result]:
        results, ready = _checked(deliveries, self._check_owner)
        if not ready:
            return results
        try:
            leads = await self._upsert(
                calls,
                "Lead",
                self._lead_field,
                [self._lead(deliveries[i].event) for i in ready],
            )
            with_lead = []
            for i, answer in zip(ready, leads, strict=True):
                if answer.get("success"):
                    with_lead.append((i, str(answer["id"])))
                else:
                    results[i] = self._record_error(answer)
            if with_lead:
                tasks = await self._upsert(
                    calls,
                    "Task",
                    self._task_field,
                    [self._task(deliveries[i].event, lead_id) for i, lead_id in with_lead],
                )
                for (i, _), answer in zip(with_lead, tasks, strict=True):
                    if not answer.get("success"):
                        results[i] = self._record_error(answer)
        except (RetryableDeliveryError, PermanentDeliveryError) as error:
            _fail_all([i for i in ready if results[i] is None], results, error)
        return results

    def _lead(self, event: LeadAssigned) -> dict[str, Any]:
        data = event.data
        contact, company = data.lead.contact, data.lead.company
        fields = {
            self._lead_field: str(data.lead_id),
            "OwnerId": _owner(event, self.name),
            "FirstName": contact.first_name,
            # LastName and Company are required on Lead.
            "LastName": contact.last_name or contact.email or "[not provided]",
            "Company": company.name or company.domain or "[not provided]",
            "Email": contact.email,
            "Phone": contact.phone,
        }
        return {k: v for k, v in fields.items() if v is not None}

    def _task(self, event: LeadAssigned, lead_sf_id: str) -> dict[str, Any]:
        data = event.data
        contact = data.lead.contact
        return {
            self._task_field: str(data.assignment_id),
            "WhoId": lead_sf_id,
            "OwnerId": _owner(event, self.name),
            "Subject": f"New lead: {contact.first_name or ''} {contact.last_name or ''}".strip(),
            "Description": talk_track(event),
            "ActivityDate": (data.sla_deadline or data.assigned_at).date().isoformat(),
            "Status": "Not Started",
            "Priority": "High" if data.score.grade == "A" else "Normal",
        }
