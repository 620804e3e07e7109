"""HubSpot workflow "Send a webhook" action, POST with the enrolled contact
(https://knowledge.hubspot.com/workflows/how-do-i-use-webhooks-with-hubspot-workflows).

Three bodies are read, whichever arrives:

- the legacy contact JSON (``vid``, ``canonical-vid``, ``properties`` as
  ``{"name": {"value": ...}}``, ``form-submissions``, ``associated-company``), as
  https://legacydocs.hubspot.com/docs/methods/contacts/get_contact shows it;
- the CRM v3 object (``id`` or ``objectId``, ``properties`` with plain values);
- a flat body, the properties at the top level next to ``hs_object_id`` (the action's
  "include all properties" and customised request bodies).

The contact id is the first of ``canonical-vid``, ``vid``, ``objectId``, ``id`` and the
``hs_object_id`` property. The latest ``form-submissions`` entry names the form (our
campaign mapping) and its conversion id (the delivery id).
"""

from datetime import UTC, datetime
from typing import Any

from leadrouter_scorer.webhooks.platforms.common import (
    LeadDraft,
    Submission,
    answer_text,
    body_digest,
    json_object,
    missing,
    text_of,
)

# Keys of the contact JSON itself, not contact properties (legacy and v3 shapes).
_ENVELOPE = frozenset(
    {
        "vid",
        "canonical-vid",
        "merged-vids",
        "portal-id",
        "portalId",
        "is-contact",
        "profile-token",
        "profile-url",
        "properties",
        "form-submissions",
        "list-memberships",
        "identity-profiles",
        "merge-audits",
        "associated-company",
        "addedAt",
        "objectId",
        "objectType",
        "objectTypeId",
        "id",
        "createdAt",
        "updatedAt",
        "archived",
        "archivedAt",
        "associations",
        "propertiesWithHistory",
    }
)
_ID_KEYS = ("canonical-vid", "vid", "objectId", "id")


def _value(prop: Any) -> str | None:
    """A property's value: ``{"value": ...}`` (legacy, with ``versions``) or plain."""
    if isinstance(prop, dict):
        prop = prop.get("value")
    return answer_text(prop)


def properties_of(raw: dict[str, Any]) -> dict[str, str]:
    """Every property with a value: the ``properties`` map, then top-level ones."""
    found: dict[str, str] = {}
    nested = raw.get("properties")
    if isinstance(nested, dict):
        for name, prop in nested.items():
            value = _value(prop)
            if value is not None:
                found.setdefault(str(name), value)
    for name, prop in raw.items():
        if name not in _ENVELOPE and not isinstance(prop, dict | list):
            value = _value(prop)
            if value is not None:
                found.setdefault(name, value)
    return found


def _latest_form(raw: dict[str, Any]) -> dict[str, Any]:
    submitted = raw.get("form-submissions")
    forms = [f for f in submitted if isinstance(f, dict)] if isinstance(submitted, list) else []
    if not forms:
        return {}

    def timestamp(form: dict[str, Any]) -> float:
        value = form.get("timestamp")
        return float(value) if isinstance(value, int | float) else 0.0

    return max(forms, key=timestamp)


def _company(raw: dict[str, Any], draft: LeadDraft) -> None:
    """``associated-company`` of the legacy contact JSON: the company's own properties."""
    company = raw.get("associated-company")
    if isinstance(company, dict) and isinstance(company.get("properties"), dict):
        for name, prop in company["properties"].items():
            value = _value(prop)
            if name == "name" and value:
                draft.put("company.name", value)
            elif name == "domain" and value:
                draft.put("company.domain", value)


def submission(body: bytes) -> Submission:
    raw = json_object(body)
    properties = properties_of(raw)
    ids = [text_of(raw.get(key)) for key in _ID_KEYS] + [properties.get("hs_object_id")]
    contact_id = next((found for found in ids if found), None)
    if contact_id is None:
        raise missing(
            "vid", reason="A HubSpot contact id is required (vid, objectId, id or hs_object_id)"
        )
    draft = LeadDraft()
    for name, value in properties.items():
        if name == "hs_legal_basis":
            # GDPR lawful basis, e.g. "Freely given consent from contact".
            draft.consent = {"given": "consent" in value.lower(), "text": value}
        elif not name.startswith("hs_") or name == "hs_language":
            # HubSpot's own hs_* properties (analytics, scores) stay in the raw payload.
            draft.add(name, value)
    _company(raw, draft)
    latest = _latest_form(raw)
    submitted_at = None
    page_url = answer_text(latest.get("page-url"))
    if page_url:
        draft.attribution.setdefault("landing_page", page_url)
    timestamp = latest.get("timestamp")
    if isinstance(timestamp, int | float) and 0 < timestamp < 253402300800000:
        submitted_at = datetime.fromtimestamp(timestamp / 1000, UTC)
    form_id = text_of(latest.get("form-id"))
    return Submission(
        delivery_id=text_of(latest.get("conversion-id")) or body_digest(body),
        external_id=contact_id,
        draft=draft,
        raw=raw,
        submitted_at=submitted_at,
        form_id=form_id,
        platform_campaign_id=form_id,
    )
