"""Lead events: what a campaign response becomes on its way to a salesperson."""

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from leadrouter_schemas.envelope import Contract, Event

CountryCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{2}$"), Field(description="ISO 3166-1 alpha-2")
]
Grade = Literal["A", "B", "C", "D"]


class Contact(Contract):
    email: str | None = Field(default=None, max_length=320)
    first_name: str | None = Field(default=None, max_length=200)
    last_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=64)
    job_title: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, max_length=35, description="BCP 47 tag")
    country: CountryCode | None = None
    region: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=32)


class Company(Contract):
    name: str | None = Field(default=None, max_length=300)
    domain: str | None = Field(default=None, max_length=253)
    employees: int | None = Field(default=None, ge=0)
    industry: str | None = Field(default=None, max_length=200)


class Consent(Contract):
    given: bool
    text: str | None = Field(default=None, description="The wording the person agreed to.")
    form_version: str | None = None
    given_at: AwareDatetime | None = None
    ip: str | None = None


class Attribution(Contract):
    """Where the response came from (UTM parameters and pages)."""

    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    landing_page: str | None = None
    referrer: str | None = None


class Lead(Contract):
    """One normalised campaign response, whatever platform it came from."""

    lead_key: str = Field(
        min_length=1,
        max_length=400,
        description="Partition key: `source:external_id`, else `email:<normalised e-mail>`.",
    )
    source: str = Field(min_length=1, max_length=64, description="Platform, e.g. `generic`.")
    external_id: str | None = Field(default=None, max_length=200)
    campaign_id: str = Field(min_length=1, max_length=200)
    form_id: str | None = Field(default=None, max_length=200)
    submitted_at: AwareDatetime
    form_started_at: AwareDatetime | None = Field(
        default=None, description="When the form was shown, where the platform tells."
    )
    received_at: AwareDatetime | None = Field(
        default=None,
        description="When our webhook received it (absent when it did not come through one); "
        "the start of the webhook-to-CRM time.",
    )
    contact: Contact
    company: Company = Company()
    consent: Consent | None = None
    answers: dict[str, str] = Field(default_factory=dict)
    attribution: Attribution = Attribution()
    raw: dict[str, Any] = Field(default_factory=dict, description="The payload as received.")


class ScoreContribution(Contract):
    """One line of a score's explanation: which rule saw which input and gave what."""

    rule: str
    axis: Literal["fit", "intent"]
    input: str | None
    points: float


class Score(Contract):
    value: int = Field(ge=0, le=100, description="Combined score, 0-100.")
    grade: Grade
    fit: int = Field(ge=0, le=100)
    intent: int = Field(ge=0, le=100)
    is_mql: bool = Field(description="value reached the campaign's MQL threshold")
    model_version: str
    explanation: tuple[ScoreContribution, ...] = ()


class RejectionReason(Contract):
    code: str = Field(description="Machine-readable, e.g. `email.invalid`.")
    message: str = Field(description="A sentence a person can act on.")
    field: str | None = None


class LeadReceivedData(Contract):
    lead: Lead


class ValidationWarning(Contract):
    """A criterion the lead did not meet that the campaign does not reject for."""

    code: str = Field(description="Machine-readable, e.g. `phone.invalid`.")
    message: str
    field: str | None = None


class LeadScoredData(Contract):
    lead: Lead
    score: Score
    warnings: tuple[ValidationWarning, ...] = ()


class LeadRejectedData(Contract):
    lead: Lead
    reasons: tuple[RejectionReason, ...] = Field(min_length=1)


class Salesperson(Contract):
    id: UUID
    name: str
    email: str
    crm_user_id: str | None = None


class KitLink(Contract):
    title: str
    url: str


class KitCaseStudy(Contract):
    title: str
    summary: str
    url: str | None = None


class KitBenchmark(Contract):
    claim: str
    source: str | None = None


class SalesKit(Contract):
    """The campaign's material for the salesperson, as configured in the router."""

    talk_track: str | None = None
    materials: tuple[KitLink, ...] = ()
    case_studies: tuple[KitCaseStudy, ...] = ()
    benchmarks: tuple[KitBenchmark, ...] = ()


class DecisionSummary(Contract):
    """How the salesperson was chosen (the full record: `GET /v1/leads/{id}/decision`)."""

    via: str = Field(description="dedupe, account, open_lead, rule, fallback_pool, fallback_owner")
    policy_name: str | None = None
    policy_version: int | None = None
    pool: str | None = None
    strategy: str | None = None


class LeadAssignedData(Contract):
    lead_id: UUID
    lead_key: str
    lead: Lead
    assignment_id: UUID
    campaign_id: str
    salesperson: Salesperson
    score: Score
    reason: str = Field(description="Why this salesperson, in one sentence.")
    assigned_at: AwareDatetime
    decision_summary: DecisionSummary | None = None
    sales_kit: SalesKit | None = Field(default=None, description="The campaign's, if it has one.")
    sla_deadline: AwareDatetime | None = Field(
        default=None,
        description="Accept by then (the campaign's SLA in the salesperson's business hours).",
    )


OutcomeKind = Literal[
    "accepted", "rejected", "contacted", "won", "lost", "bought_elsewhere", "unreachable"
]


class LeadOutcomeData(Contract):
    lead_id: UUID
    outcome: OutcomeKind
    recorded_at: AwareDatetime
    salesperson_id: UUID | None = None
    reason: str | None = None
    value: float | None = Field(default=None, ge=0, description="Deal value when won.")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    channel: Literal["call", "email", "meeting"] | None = Field(
        default=None, description="How the salesperson touched the lead (contacted)."
    )
    assignment_id: UUID | None = Field(
        default=None, description="The assignment the outcome belongs to."
    )
    reassigned_to: UUID | None = Field(
        default=None, description="Who has the lead now, after a rejection or a missed SLA."
    )


class LeadReceived(Event):
    type: Literal["lead.received"] = "lead.received"
    schema_version: Literal[1] = 1
    data: LeadReceivedData


class LeadScored(Event):
    type: Literal["lead.scored"] = "lead.scored"
    schema_version: Literal[1] = 1
    data: LeadScoredData


class LeadRejected(Event):
    type: Literal["lead.rejected"] = "lead.rejected"
    schema_version: Literal[1] = 1
    data: LeadRejectedData


class LeadAssigned(Event):
    type: Literal["lead.assigned"] = "lead.assigned"
    schema_version: Literal[1] = 1
    data: LeadAssignedData


class LeadOutcomeRecorded(Event):
    type: Literal["lead.outcome_recorded"] = "lead.outcome_recorded"
    schema_version: Literal[1] = 1
    data: LeadOutcomeData
