"""One adapter per CRM, chosen by ``ROUTER_CRM__KIND``. Each turns a ``lead.assigned``
event into the CRM's documented calls, and is safe to run again after any partial
failure (the relay retries the whole delivery): see docs/crm.md, "Idempotency".
"""

import re
import time
from collections.abc import Callable
from typing import Any, Protocol

import httpx

from leadrouter_router.crm.answers import raise_for_answer
from leadrouter_router.crm.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature
from leadrouter_router.platform.outbox import OutboxMessage, PermanentDeliveryError
from leadrouter_router.settings import CrmSettings
from leadrouter_runtime import standard_webhooks
from leadrouter_schemas import LeadAssigned


class CrmAdapter(Protocol):
    name: str

    async def deliver(
        self, client: httpx.AsyncClient, event: LeadAssigned, message: OutboxMessage
    ) -> None: ...


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

    def __init__(self, settings: CrmSettings, clock: Callable[[], float] = time.time) -> None:
        self._settings = settings
        self._clock = clock

    async def deliver(
        self, client: httpx.AsyncClient, event: LeadAssigned, message: OutboxMessage
    ) -> None:
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
        response = await client.post(self._settings.url, content=body, headers=headers)
        raise_for_answer(response, crm=self.name)


# HubSpot answers a duplicate e-mail with 409 and "Existing ID: <id>" in the message.
_EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)")
# Note-to-contact association (HUBSPOT_DEFINED type 202), from
# https://developers.hubspot.com/docs/api/crm/associations#association-type-id-values
NOTE_TO_CONTACT = 202


class HubSpotAdapter:
    """CRM v3 (https://developers.hubspot.com/docs/api/crm/contacts): find or create the
    contact by e-mail, set ``hubspot_owner_id``, add a note with the talk track unless a
    note with this assignment's marker exists."""

    name = "hubspot"

    def __init__(self, settings: CrmSettings) -> None:
        self._base = settings.hubspot.base_url.rstrip("/")
        self._headers = {"Content-Type": "application/json", **_bearer(settings)}

    async def _call(
        self, client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any]
    ) -> httpx.Response:
        return await client.request(method, self._base + path, json=body, headers=self._headers)

    async def deliver(
        self, client: httpx.AsyncClient, event: LeadAssigned, message: OutboxMessage
    ) -> None:
        data = event.data
        owner = _owner(event, self.name)
        email = data.lead.contact.email
        if not email:
            raise PermanentDeliveryError("the lead has no e-mail: HubSpot contacts are found by it")
        contact_id = await self._contact(client, event, email, owner)
        patched = await self._call(
            client,
            "PATCH",
            f"/crm/v3/objects/contacts/{contact_id}",
            {"properties": {"hubspot_owner_id": owner}},
        )
        raise_for_answer(patched, crm=self.name)
        marker = f"leadrouter-assignment-{data.assignment_id}"
        found = await self._call(
            client,
            "POST",
            "/crm/v3/objects/notes/search",
            {
                "filterGroups": [
                    {
                        "filters": [
                            {
                                "propertyName": "hs_note_body",
                                "operator": "CONTAINS_TOKEN",
                                "value": marker,
                            }
                        ]
                    }
                ],
                "limit": 1,
            },
        )
        raise_for_answer(found, crm=self.name)
        if found.json().get("total", 0) > 0:
            return  # the note of an earlier attempt whose answer was lost
        note = await self._call(
            client,
            "POST",
            "/crm/v3/objects/notes",
            {
                "properties": {
                    "hs_timestamp": data.assigned_at.isoformat(),
                    "hs_note_body": f"{talk_track(event)}\n\n{marker}",
                    "hubspot_owner_id": owner,
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
            },
        )
        raise_for_answer(note, crm=self.name)

    async def _contact(
        self, client: httpx.AsyncClient, event: LeadAssigned, email: str, owner: str
    ) -> str:
        search = await self._call(
            client,
            "POST",
            "/crm/v3/objects/contacts/search",
            {
                "filterGroups": [
                    {"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}
                ],
                "properties": ["email", "hubspot_owner_id"],
                "limit": 1,
            },
        )
        raise_for_answer(search, crm=self.name)
        results = search.json().get("results", [])
        if results:
            return str(results[0]["id"])
        contact = event.data.lead.contact
        properties = {
            "email": email,
            "firstname": contact.first_name,
            "lastname": contact.last_name,
            "phone": contact.phone,
            "company": event.data.lead.company.name,
            "hubspot_owner_id": owner,
        }
        created = await self._call(
            client,
            "POST",
            "/crm/v3/objects/contacts",
            {"properties": {k: v for k, v in properties.items() if v is not None}},
        )
        if created.status_code == 409:  # created meanwhile (search is eventually consistent)
            existing = _EXISTING_ID.search(created.text)
            if existing:
                return existing.group(1)
        raise_for_answer(created, crm=self.name)
        return str(created.json()["id"])


class SalesforceAdapter:
    """REST API (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/):
    upsert the Lead by an external id field (the lead id) with its ``OwnerId``, then
    upsert a Task by an external id field (the assignment id). Upserts make retries
    harmless. A 401 is permanent: the router does not refresh OAuth tokens."""

    name = "salesforce"

    def __init__(self, settings: CrmSettings) -> None:
        sf = settings.salesforce
        self._base = f"{sf.instance_url.rstrip('/')}/services/data/{sf.api_version}/sobjects"
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

    async def deliver(
        self, client: httpx.AsyncClient, event: LeadAssigned, message: OutboxMessage
    ) -> None:
        data = event.data
        owner = _owner(event, self.name)
        contact, company = data.lead.contact, data.lead.company
        lead_fields = {
            "OwnerId": owner,
            "FirstName": contact.first_name,
            # LastName and Company are required on Lead.
            "LastName": contact.last_name or contact.email or "[not provided]",
            "Company": company.name or company.domain or "[not provided]",
            "Email": contact.email,
            "Phone": contact.phone,
        }
        lead_url = f"{self._base}/Lead/{self._lead_field}/{data.lead_id}"
        upserted = await client.patch(
            lead_url,
            json={k: v for k, v in lead_fields.items() if v is not None},
            headers=self._headers,
        )
        self._check(upserted)
        lead_sf_id = _record_id(upserted)
        if lead_sf_id is None:  # 204 from older API versions: read the id back
            read = await client.get(lead_url, params={"fields": "Id"}, headers=self._headers)
            self._check(read)
            lead_sf_id = str(read.json()["Id"])
        task = {
            "WhoId": lead_sf_id,
            "OwnerId": owner,
            "Subject": f"New lead: {contact.first_name or ''} {contact.last_name or ''}".strip(),
            "Description": talk_track(event),
            "ActivityDate": (data.sla_deadline or data.assigned_at).date().isoformat(),
            "Status": "Not Started",
            "Priority": "High" if data.score.grade == "A" else "Normal",
        }
        created = await client.patch(
            f"{self._base}/Task/{self._task_field}/{data.assignment_id}",
            json=task,
            headers=self._headers,
        )
        self._check(created)


def _record_id(response: httpx.Response) -> str | None:
    if response.status_code == 204 or not response.content:
        return None
    body = response.json()
    return str(body["id"]) if isinstance(body, dict) and body.get("id") else None
