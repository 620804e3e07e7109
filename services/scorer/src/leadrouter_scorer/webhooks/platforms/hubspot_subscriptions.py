"""HubSpot Webhooks API: a subscription batch, POSTed as a JSON array of events
(https://developers.hubspot.com/docs/api/webhooks, "Example payload"): each
``{eventId, subscriptionId, portalId, appId, occurredAt, subscriptionType (eventType in
the documentation's example), attemptNumber, objectId, changeSource, propertyName,
propertyValue}``. The events only name the contact: each one is read through the CRM
API (``GET /crm/v3/objects/contacts/{objectId}?properties=...``), once per contact.

One contact is one lead: its delivery id is ``contact:<objectId>``, so a
``contact.propertyChange`` of a contact already sent is a redelivery (answered from
memory, the same event id). Other subscription types (deletions, companies, deals) are
not leads.
"""

import json
from dataclasses import replace
from typing import Any

from leadrouter_runtime.problems import MalformedBody
from leadrouter_runtime.values import loads as load_json
from leadrouter_runtime.values import without_nul
from leadrouter_scorer.webhooks.platforms import hubspot_workflow
from leadrouter_scorer.webhooks.platforms.common import LeadDraft, Submission, missing, text_of

LEAD_EVENTS = frozenset({"contact.creation", "contact.propertyChange"})


def is_batch(body: bytes) -> bool:
    """A subscription batch is a JSON array; a workflow webhook is an object."""
    return body.lstrip()[:1] == b"["


def events_of(body: bytes) -> list[Any]:
    try:
        events = without_nul(load_json(body))
    except (UnicodeDecodeError, ValueError) as error:
        raise MalformedBody(f"The body is not valid JSON: {error}") from error
    if not isinstance(events, list):
        raise missing("body", reason="Expected a JSON array of events", kind="list_type")
    return events


def contact_ids(events: list[Any]) -> list[str]:
    """The contacts the batch names through lead events, each once, in order."""
    found: dict[str, None] = {}
    for event in events:
        if not isinstance(event, dict):
            raise missing("body", reason="Each event must be a JSON object", kind="dict_type")
        kind = text_of(event.get("subscriptionType")) or text_of(event.get("eventType"))
        if kind not in LEAD_EVENTS:
            continue
        object_id = text_of(event.get("objectId"))
        if not object_id or not object_id.strip():
            raise missing("objectId", reason="A contact event names no contact")
        found.setdefault(object_id.strip(), None)
    return list(found)


def delivery_id(object_id: str) -> str:
    return f"contact:{object_id}"


def submission(object_id: str, contact: dict[str, Any], events: list[Any]) -> Submission:
    """The contact as the CRM API answers it (a v3 object), mapped like the workflow
    webhook's v3 shape; the batch's events of this contact travel with it."""
    try:
        found = hubspot_workflow.submission(json.dumps(contact).encode())
    except MalformedBody as error:
        # The request was sound; what the CRM API answered is what cannot be read.
        raise missing("contact", reason=f"The CRM API's contact: {error}") from error
    mine = [e for e in events if isinstance(e, dict) and text_of(e.get("objectId")) == object_id]
    return replace(
        found,
        delivery_id=delivery_id(object_id),
        external_id=found.external_id or object_id,
        raw={"contact": contact, "events": mine},
    )


def known(object_id: str) -> Submission:
    return Submission(
        delivery_id=delivery_id(object_id),
        external_id=object_id,
        draft=LeadDraft(),
        raw={"objectId": object_id},
    )
