"""Request and response bodies of the webhook endpoints."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from leadrouter_schemas import Attribution, Company, Consent, Contact


class GenericLead(BaseModel):
    """Our own JSON format for a campaign response (documented in docs/webhooks.md)."""

    model_config = ConfigDict(extra="forbid")

    campaign_id: str = Field(min_length=1, max_length=200)
    form_id: str | None = Field(default=None, max_length=200)
    external_id: str | None = Field(
        default=None,
        max_length=200,
        description="The platform's id of this response; redeliveries carry the same one.",
    )
    submitted_at: AwareDatetime | None = Field(
        default=None, description="When the person submitted; the time of receipt if absent."
    )
    contact: Contact
    company: Company = Company()
    consent: Consent | None = None
    answers: dict[str, str] = Field(default_factory=dict)
    attribution: Attribution = Attribution()


class AcceptedLead(BaseModel):
    event_id: UUID
    lead_key: str
    correlation_id: str
    duplicate: bool = Field(
        default=False, description="Already accepted earlier: no second record was produced."
    )


class Accepted(BaseModel):
    """The lead is on ``leads.received``: Kafka acknowledged it (or did so earlier, for a
    redelivery). ``event_id`` and ``lead_key`` are the first lead's; ``leads`` lists all
    (a Meta notification may name several)."""

    event_id: UUID
    lead_key: str
    correlation_id: str
    received_at: datetime
    duplicate: bool = False
    leads: list[AcceptedLead] = Field(default_factory=list)


class Ignored(BaseModel):
    """Acknowledged, but not a new lead (e.g. a Mailchimp unsubscribe)."""

    ignored: str


class Quarantined(BaseModel):
    """Authentic, but not mappable to a lead (yet): kept raw on the quarantine topic with
    the reason, so that nothing is lost; ``leadrouter dlq replay`` scores it once the
    mapping is fixed. 202, so that the platform does not send it again or give up."""

    quarantined: Literal[True] = True
    reason: str = Field(description="Why it could not be mapped (no input value in it).")
    location: str | None = Field(default=None, description="The field, where one is to blame.")
    correlation_id: str
    received_at: datetime
