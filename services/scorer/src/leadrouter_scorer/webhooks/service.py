"""From a platform's payload to a ``LeadReceived`` event on Kafka."""

from datetime import datetime
from typing import Any

from leadrouter_schemas import Lead, LeadReceived, LeadReceivedData
from leadrouter_scorer.webhooks.schemas import GenericLead


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


def received_from_generic(
    body: GenericLead, *, raw: dict[str, Any], correlation_id: str, now: datetime
) -> LeadReceived:
    source = "generic"
    lead = Lead(
        lead_key=lead_key(source, body.external_id, body.contact.email, correlation_id),
        source=source,
        external_id=body.external_id,
        campaign_id=body.campaign_id,
        form_id=body.form_id,
        submitted_at=body.submitted_at or now,
        contact=body.contact,
        company=body.company,
        consent=body.consent,
        answers=body.answers,
        attribution=body.attribution,
        raw=raw,
    )
    return LeadReceived(
        occurred_at=now,
        source=f"webhook:{source}",
        correlation_id=correlation_id,
        data=LeadReceivedData(lead=lead),
    )
