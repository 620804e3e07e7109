"""HubSpot workflow "Send a webhook" action, POST with the enrolled contact
(https://knowledge.hubspot.com/workflows/how-do-i-use-webhooks-with-hubspot-workflows).

The contact comes in HubSpot's contact JSON: ``vid`` and ``properties`` as
``{"name": {"value": ...}}``; the newer action (and a customised body) sends
``objectId`` and plain property values, which are read too. The latest entry of
``form-submissions`` names the form (our campaign mapping) and its conversion id
(the delivery id).
"""

from datetime import UTC, datetime
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from leadrouter_scorer.webhooks.platforms.common import (
    LeadDraft,
    Submission,
    body_digest,
    json_object,
    validated,
)


class _FormSubmission(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    conversion_id: str | None = Field(default=None, alias="conversion-id")
    form_id: str | None = Field(default=None, alias="form-id")
    page_url: str | None = Field(default=None, alias="page-url")
    timestamp: int | None = None


class HubSpotContact(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    vid: int | str | None = None
    canonical_vid: int | str | None = Field(default=None, alias="canonical-vid")
    object_id: int | str | None = Field(default=None, alias="objectId")
    properties: dict[str, Any] = Field(default_factory=dict)
    form_submissions: list[_FormSubmission] = Field(default_factory=list, alias="form-submissions")


def _value(prop: Any) -> str | None:
    if isinstance(prop, dict):
        prop = prop.get("value")
    return None if prop is None or isinstance(prop, dict | list) else str(prop)


def submission(body: bytes) -> Submission:
    raw = json_object(body)
    contact = validated(HubSpotContact, raw)
    properties = {name: _value(prop) for name, prop in contact.properties.items()}
    contact_id = contact.canonical_vid or contact.vid or contact.object_id
    contact_id = contact_id or properties.get("hs_object_id")
    if contact_id is None:
        raise RequestValidationError(
            [{"loc": ("vid",), "msg": "A HubSpot contact id is required", "type": "missing"}]
        )
    draft = LeadDraft()
    for name, value in properties.items():
        if name == "hs_legal_basis" and value:
            # GDPR lawful basis, e.g. "Freely given consent from contact".
            draft.consent = {"given": "consent" in value.lower(), "text": value}
        elif not name.startswith("hs_") or name == "hs_language":
            draft.add(name, value)
    latest = max(contact.form_submissions, key=lambda s: s.timestamp or 0, default=None)
    submitted_at = None
    if latest is not None:
        if latest.page_url:
            draft.attribution.setdefault("landing_page", latest.page_url)
        if latest.timestamp:
            submitted_at = datetime.fromtimestamp(latest.timestamp / 1000, UTC)
    return Submission(
        delivery_id=(latest.conversion_id if latest else None) or body_digest(body),
        external_id=str(contact_id),
        draft=draft,
        raw=raw,
        submitted_at=submitted_at,
        form_id=latest.form_id if latest else None,
        platform_campaign_id=latest.form_id if latest else None,
    )
