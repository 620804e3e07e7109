"""What a decision writes (pure values, no session): the decision record, the lead's
new state, the assignment with its deadlines, and the outbox messages that announce
it to the CRM and on ``leads.assigned``. Written by the use case in one transaction
(``routing/service.py``)."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Protocol

import structlog
from pydantic import ValidationError

from leadrouter_router.campaigns.models import CampaignRow
from leadrouter_router.crm import CRM_KIND
from leadrouter_router.platform import outbox
from leadrouter_router.platform.kafka_delivery import KAFKA_KIND
from leadrouter_router.routing.deadlines import assignment_deadlines
from leadrouter_router.routing.engine import Decision
from leadrouter_router.routing.facts import LeadFacts, Person
from leadrouter_router.routing.record import stored
from leadrouter_schemas import (
    LeadAssigned,
    LeadAssignedData,
    LeadScored,
    LeadScoredData,
    Salesperson,
    encode,
    header_values,
)
from leadrouter_schemas.leads import DecisionSummary, SalesKit

log = structlog.get_logger(__name__)


class RoutedLead(Protocol):
    """What a decision is applied to: a new lead of this batch, or a stored one."""

    id: uuid.UUID
    lead_key: str
    campaign_id: str
    value: float
    status: str
    owner_id: uuid.UUID | None
    merged_into_id: uuid.UUID | None


@dataclass(slots=True)
class NewLead:
    """A lead row to insert (the columns of ``leads``)."""

    id: uuid.UUID
    scored_event_id: uuid.UUID
    lead_key: str
    correlation_id: str
    campaign_id: str
    email: str | None
    email_key: str | None
    phone_key: str | None
    company_domain: str | None
    score: int
    grade: str
    value: float
    scored: str
    """The LeadScored data, encoded as JSON once (what the ``scored`` column holds)."""
    received_at: datetime
    status: str = "received"
    """Until its decision is recorded."""
    owner_id: uuid.UUID | None = None
    merged_into_id: uuid.UUID | None = None

    @classmethod
    def of(cls, scored: LeadScored, facts: LeadFacts) -> "NewLead":
        assert facts.lead_id is not None
        return cls(
            id=facts.lead_id,
            scored_event_id=scored.event_id,
            lead_key=facts.lead_key,
            correlation_id=scored.correlation_id,
            campaign_id=facts.campaign_id,
            email=scored.data.lead.contact.email,
            email_key=facts.email_key,
            phone_key=facts.phone_key,
            company_domain=facts.company_domain,
            score=facts.score,
            grade=facts.grade,
            value=facts.value,
            scored=scored.data.model_dump_json(),
            received_at=facts.received_at,
        )


_NEW_LEAD_COLUMNS = tuple(f.name for f in fields(NewLead))


def lead_columns(lead: NewLead) -> dict[str, Any]:
    # Not dataclasses.asdict: it deep-copies the scored payload of every lead.
    return {name: getattr(lead, name) for name in _NEW_LEAD_COLUMNS}


@dataclass(slots=True)
class Written:
    """A batch's rows, written together at its end."""

    campaigns: Mapping[str, CampaignRow] = field(default_factory=dict)
    leads: list[NewLead] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, object]] = field(default_factory=list)
    kits: dict[str, SalesKit | None] = field(default_factory=dict)
    """Each campaign's sales kit, read once per batch."""

    def sales_kit(self, campaign_id: str) -> SalesKit | None:
        if campaign_id not in self.kits:
            self.kits[campaign_id] = _sales_kit(self.campaigns.get(campaign_id))
        return self.kits[campaign_id]


def record(
    decision: Decision,
    *,
    lead: RoutedLead,
    data: LeadScoredData,
    scored_event_id: uuid.UUID | None,
    correlation_id: str,
    people: Mapping[uuid.UUID, Person],
    written: Written,
    assigned_topic: str,
    now: datetime,
) -> None:
    """Record ``decision`` on ``lead`` and queue its rows in ``written``."""
    decision_id = uuid.uuid4()
    written.decisions.append(
        {
            "id": decision_id,
            "lead_id": lead.id,
            "scored_event_id": scored_event_id,
            "outcome": decision.outcome,
            "salesperson_id": decision.salesperson_id,
            "policy_name": decision.record.policy.name,
            "policy_version": decision.record.policy.version,
            "compact": stored(decision.record),
            "decided_at": now,
        }
    )
    lead.status = decision.outcome
    lead.owner_id = decision.salesperson_id
    lead.merged_into_id = decision.merged_into
    if decision.outcome != "assigned" or decision.salesperson_id is None:
        log.info(
            f"routing.{decision.outcome}",
            lead_id=str(lead.id),
            reason=decision.reason,
            correlation_id=correlation_id,
        )
        return
    person = people[decision.salesperson_id]
    # The deadlines belong to the assignment from the start (SLA met or missed is
    # known however fast it is worked); the SLA checker only acts on them.
    campaign = written.campaigns.get(lead.campaign_id)
    deadlines = assignment_deadlines(
        campaign.sla if campaign else None, data.score.grade, person, now
    )
    assignment = {
        "id": uuid.uuid4(),
        "lead_id": lead.id,
        "salesperson_id": person.id,
        "decision_id": decision_id,
        "pool": decision.pool,
        "strategy": decision.strategy,
        "reason": decision.reason[:500],
        "assigned_at": now,
        "accept_due_at": deadlines.accept_due_at,
        "touch_due_at": deadlines.touch_due_at,
        "sla_armed": True,
    }
    written.assignments.append(assignment)
    event = _assigned_event(
        data,
        lead=lead,
        assignment=assignment,
        person=person,
        correlation_id=correlation_id,
        causation_id=scored_event_id or decision_id,
        decision=decision,
        sales_kit=written.sales_kit(lead.campaign_id),
    )
    written.messages.extend(_announce(event, assigned_topic=assigned_topic, now=now))
    log.info(
        "routing.assigned",
        lead_id=str(lead.id),
        salesperson_id=str(person.id),
        via=decision.via,
        pool=decision.pool,
        correlation_id=correlation_id,
    )


def _assigned_event(
    data: LeadScoredData,
    *,
    lead: RoutedLead,
    assignment: dict[str, Any],
    person: Person,
    correlation_id: str,
    causation_id: uuid.UUID,
    decision: Decision,
    sales_kit: SalesKit | None,
) -> LeadAssigned:
    return LeadAssigned(
        event_id=assignment["id"],
        occurred_at=assignment["assigned_at"],
        source="router",
        correlation_id=correlation_id,
        causation_id=causation_id,
        data=LeadAssignedData(
            lead_id=lead.id,
            lead_key=lead.lead_key,
            lead=data.lead,
            assignment_id=assignment["id"],
            campaign_id=lead.campaign_id,
            salesperson=Salesperson(
                id=person.id, name=person.name, email=person.email, crm_user_id=person.crm_user_id
            ),
            score=data.score,
            reason=assignment["reason"],
            assigned_at=assignment["assigned_at"],
            decision_summary=DecisionSummary(
                via=decision.via,
                policy_name=decision.record.policy.name,
                policy_version=decision.record.policy.version,
                pool=decision.pool,
                strategy=decision.strategy,
            ),
            sales_kit=sales_kit,
            sla_deadline=assignment["accept_due_at"],
        ),
    )


def _sales_kit(campaign: CampaignRow | None) -> SalesKit | None:
    if campaign is None or not campaign.sales_kit:
        return None
    try:
        return SalesKit.model_validate(campaign.sales_kit)
    except ValidationError as error:  # a kit stored in another shape must not stop routing
        log.warning(
            "routing.sales_kit_unreadable", campaign_id=campaign.campaign_id, error=str(error)
        )
        return None


def _announce(
    event: LeadAssigned, *, assigned_topic: str, now: datetime
) -> list[dict[str, object]]:
    """The assignment for the CRM and for ``leads.assigned``, as outbox messages."""
    payload = encode(event).decode()
    headers = header_values(event)
    return [
        outbox.pending_message(
            kind=kind,
            destination=destination,
            key=str(event.data.lead_id),
            payload=payload,
            headers=headers,
            idempotency_key=str(event.data.assignment_id),
            now=now,
        )
        for kind, destination in ((CRM_KIND, "default"), (KAFKA_KIND, assigned_topic))
    ]
