"""Our own JSON format (``GenericLead``), signed the Standard Webhooks way when secrets
are set (``signatures.standard_webhook_verdict``)."""

from leadrouter_scorer.webhooks.platforms.common import (
    LeadDraft,
    Submission,
    body_digest,
    json_object,
    validated,
)
from leadrouter_scorer.webhooks.schemas import GenericLead


def submission(body: bytes) -> Submission:
    raw = json_object(body)
    lead = validated(GenericLead, raw)
    draft = LeadDraft(
        contact=lead.contact.model_dump(exclude_none=True),
        company=lead.company.model_dump(exclude_none=True),
        attribution=lead.attribution.model_dump(exclude_none=True),
        answers=dict(lead.answers),
        consent=lead.consent.model_dump(exclude_none=True) if lead.consent else None,
    )
    return Submission(
        delivery_id=lead.external_id or body_digest(body),
        external_id=lead.external_id,
        draft=draft,
        raw=raw,
        submitted_at=lead.submitted_at,
        form_id=lead.form_id,
        campaign_id=lead.campaign_id,
        strict=True,
    )
