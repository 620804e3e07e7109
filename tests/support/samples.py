"""Example events and leads, built from the contracts (one instance of each)."""

import uuid
from datetime import UTC, datetime

from leadrouter_schemas import (
    Campaign,
    CampaignConfigured,
    CampaignConfiguredData,
    Company,
    Consent,
    Contact,
    Event,
    Lead,
    LeadAssigned,
    LeadAssignedData,
    LeadOutcomeData,
    LeadOutcomeRecorded,
    LeadReceived,
    LeadReceivedData,
    LeadRejected,
    LeadRejectedData,
    LeadScored,
    LeadScoredData,
    RejectionReason,
    Salesperson,
    Score,
    ScoreContribution,
    ScoringModel,
)

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def lead(email: str | None = "ada@example.com", **changes: object) -> Lead:
    base = Lead(
        lead_key=f"email:{email}",
        source="generic",
        campaign_id="spring-demo",
        submitted_at=NOW,
        contact=Contact(email=email, first_name="Ada", job_title="CTO", country="ES"),
        company=Company(name="Analytical Engines", domain="example.com", employees=40),
        consent=Consent(given=True, text="Contact me", given_at=NOW, ip="192.0.2.1"),
        answers={"interest": "demo"},
        raw={"any": ["original", "payload"]},
    )
    return base.model_copy(update=changes)


def score() -> Score:
    return Score(
        value=64,
        grade="B",
        fit=70,
        intent=55,
        is_mql=True,
        model_version="default-1",
        explanation=(ScoreContribution(rule="role known", axis="fit", input="CTO", points=25),),
    )


def envelope(correlation_id: str = "corr-1") -> dict[str, object]:
    return {"occurred_at": NOW, "source": "test", "correlation_id": correlation_id}


def received(email: str | None = "ada@example.com", correlation_id: str = "corr-1") -> LeadReceived:
    return LeadReceived(data=LeadReceivedData(lead=lead(email)), **envelope(correlation_id))


def scored(email: str = "ada@example.com", correlation_id: str = "corr-1") -> LeadScored:
    return LeadScored(
        data=LeadScoredData(lead=lead(email), score=score()),
        **envelope(correlation_id),
    )


def campaign(campaign_id: str = "spring-demo", **changes: object) -> Campaign:
    """A configured campaign; the default criteria and, unless given, the default model."""
    base = Campaign(campaign_id=campaign_id, name=campaign_id.replace("-", " ").title(), version=1)
    return base.model_copy(update=changes)


def assigned(email: str = "ada@example.com", correlation_id: str = "corr-1") -> LeadAssigned:
    """A lead's assignment as the router announces it (to the CRM, on leads.assigned)."""
    return LeadAssigned(
        data=LeadAssignedData(
            lead_id=uuid.uuid4(),
            lead_key=f"email:{email}",
            lead=lead(email),
            assignment_id=uuid.uuid4(),
            campaign_id="spring-demo",
            salesperson=Salesperson(id=uuid.uuid4(), name="María López", email="maria@example.com"),
            score=score(),
            reason="round robin",
            assigned_at=NOW,
        ),
        **envelope(correlation_id),
    )


def campaign_configured(configured: Campaign) -> CampaignConfigured:
    return CampaignConfigured(
        data=CampaignConfiguredData(campaign=configured), **envelope(f"campaign-{uuid.uuid4()}")
    )


def one_of_each() -> list[Event]:
    person = Salesperson(id=uuid.uuid4(), name="María López", email="maria@example.com")
    return [
        received(),
        scored(),
        LeadRejected(
            data=LeadRejectedData(
                lead=lead("not-an-email"),
                reasons=(
                    RejectionReason(code="email.invalid", message="bad", field="contact.email"),
                ),
            ),
            **envelope(),
        ),
        LeadAssigned(
            data=LeadAssignedData(
                lead_id=uuid.uuid4(),
                lead_key="email:ada@example.com",
                lead=lead(),
                assignment_id=uuid.uuid4(),
                campaign_id="spring-demo",
                salesperson=person,
                score=score(),
                reason="round robin",
                assigned_at=NOW,
            ),
            **envelope(),
        ),
        LeadOutcomeRecorded(
            data=LeadOutcomeData(
                lead_id=uuid.uuid4(), outcome="won", recorded_at=NOW, value=1200.0, currency="EUR"
            ),
            **envelope(),
        ),
        CampaignConfigured(
            data=CampaignConfiguredData(
                campaign=Campaign(
                    campaign_id="spring-demo",
                    name="Spring demo",
                    version=3,
                    scoring=ScoringModel(version="spring-2", mql_threshold=60),
                )
            ),
            **envelope(),
        ),
    ]
