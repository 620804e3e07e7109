"""From a platform's ``Submission`` to a ``LeadReceived`` event (pure)."""

import json
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from leadrouter_runtime.values import plausible_past
from leadrouter_schemas import (
    Attribution,
    Company,
    Consent,
    Contact,
    Lead,
    LeadReceived,
    LeadReceivedData,
)
from leadrouter_scorer.webhooks.config import SourceSettings
from leadrouter_scorer.webhooks.platforms.common import LeadDraft, Submission
from leadrouter_scorer.webhooks.problems import UnmappablePayload, schema_violation

# Fixed namespace for event ids of received leads: uuid5(namespace, "source:delivery id").
EVENT_NAMESPACE = uuid.UUID("6f1c1f5e-4d1a-5b8e-9a57-2f0c6f1a7d10")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def lead_key(source: str, external_id: str | None, email: str | None, fallback: str) -> str:
    """Partition key: the platform's id when it has one, else the e-mail, so every
    event of one person lands on one partition (and keeps its order)."""
    if external_id:
        return f"{source}:{external_id}"
    if email and email.strip():
        return f"email:{normalise_email(email)}"
    return f"{source}:anonymous:{fallback}"


def event_id_for(source: str, delivery_id: str) -> uuid.UUID:
    """The same delivery always makes the same event id, whichever replica takes it,
    so consumers that dedupe by event id drop a redelivery that got through twice."""
    return uuid.uuid5(EVENT_NAMESPACE, f"{source}:{delivery_id}")


def campaign_of(submission: Submission, *, requested: str | None, settings: SourceSettings) -> str:
    """Our campaign: named by the payload itself (generic), else by the webhook URL's
    ``?campaign_id=``, else mapped from the platform's campaign or form id, else the
    source's default; none of them is a 422 on ``campaign_id``."""
    mapped = [
        settings.campaigns.get(platform_id)
        for platform_id in (submission.platform_campaign_id, submission.form_id)
        if platform_id is not None
    ]
    for candidate in (submission.campaign_id, requested, *mapped, settings.default_campaign_id):
        if candidate:
            return candidate
    # Ours to fix, not the platform's: the webhook quarantines it (decision 0105).
    raise schema_violation(
        "campaign_id",
        "No campaign: add ?campaign_id= to the webhook URL or map this form to a campaign.",
    )


_PARTS: tuple[tuple[str, type[BaseModel]], ...] = (
    ("contact", Contact),
    ("company", Company),
    ("attribution", Attribution),
)


def fitted(draft: LeadDraft) -> LeadDraft:
    """The draft with every value its Lead field refuses (too long, not a number, not a
    date) moved to the answers under its dotted name (``contact.phone``): a platform's
    value is kept for the CRM to see, never the reason to refuse the lead."""
    fitted = LeadDraft(answers=dict(draft.answers), consent=draft.consent)
    for part, model in _PARTS:
        values = dict(getattr(draft, part))
        try:
            model.model_validate(values)
        except ValidationError as error:
            for problem in error.errors():
                name = str(problem["loc"][0]) if problem["loc"] else ""
                if name in values:
                    fitted.answer(f"{part}.{name}", str(values.pop(name)))
        setattr(fitted, part, values)
    if draft.consent is not None:
        try:
            Consent.model_validate(draft.consent)
        except ValidationError:
            fitted.consent = None
            fitted.answer("consent", json.dumps(draft.consent, sort_keys=True, default=str))
    return fitted


def received_event(
    source: str,
    submission: Submission,
    *,
    campaign_id: str,
    correlation_id: str,
    now: datetime,
) -> LeadReceived:
    draft = submission.draft if submission.strict else fitted(submission.draft)
    email = draft.contact.get("email")
    # The platform's times as said, when they can be true (in raw either way): a time in
    # the future or out of range would bend the lead's age, its score and the SLA figures.
    submitted_at = plausible_past(submission.submitted_at, now=now) or now
    form_started_at = plausible_past(submission.form_started_at, now=now)
    if form_started_at is not None and form_started_at > submitted_at:
        form_started_at = None
    fields: dict[str, Any] = draft.as_lead_fields()
    try:
        lead = Lead.model_validate(
            {
                **fields,
                "lead_key": lead_key(source, submission.external_id, email, submission.delivery_id),
                "source": source,
                "external_id": submission.external_id,
                "campaign_id": campaign_id,
                "form_id": submission.form_id,
                "submitted_at": submitted_at,
                "form_started_at": form_started_at,
                "received_at": now,
                "raw": submission.raw,
            }
        )
    except ValidationError as error:
        raise UnmappablePayload(error.errors(include_url=False)) from error
    return LeadReceived(
        event_id=event_id_for(source, submission.delivery_id),
        occurred_at=now,
        source=f"webhook:{source}",
        correlation_id=correlation_id,
        data=LeadReceivedData(lead=lead),
    )
