"""Use case: a scored lead arrives; store it, choose its salesperson, announce the assignment.

Runs inside the caller's transaction (the consumer owns it): the lead, the
assignment and the outbox messages that deliver it are committed together.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.leads import repository
from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.platform import outbox
from leadrouter_router.routing.engine import Candidate, round_robin
from leadrouter_router.salespeople import repository as salespeople
from leadrouter_router.salespeople.models import SalespersonRow
from leadrouter_schemas import (
    LeadAssigned,
    LeadAssignedData,
    LeadScored,
    Salesperson,
    encode,
)

log = structlog.get_logger(__name__)

CRM_KIND = "crm"
KAFKA_KIND = "kafka"


@dataclass(frozen=True, slots=True)
class Routed:
    lead_id: uuid.UUID
    salesperson_id: uuid.UUID | None


def _assigned_event(
    scored: LeadScored, lead: LeadRow, assignment: AssignmentRow, person: SalespersonRow
) -> LeadAssigned:
    return LeadAssigned(
        event_id=assignment.id,
        occurred_at=assignment.assigned_at,
        source="router",
        correlation_id=scored.correlation_id,
        causation_id=scored.event_id,
        data=LeadAssignedData(
            lead_id=lead.id,
            lead_key=lead.lead_key,
            lead=scored.data.lead,
            assignment_id=assignment.id,
            campaign_id=lead.campaign_id,
            salesperson=Salesperson(
                id=person.id, name=person.name, email=person.email, crm_user_id=person.crm_user_id
            ),
            score=scored.data.score,
            reason=assignment.reason,
            assigned_at=assignment.assigned_at,
        ),
    )


async def route_scored_leads(
    session: AsyncSession, events: Sequence[LeadScored], *, now: datetime, assigned_topic: str
) -> list[Routed]:
    """Store and assign each new scored lead; events already stored are skipped."""
    known = await repository.known_scored_event_ids(session, [e.event_id for e in events])
    people = {p.id: p for p in await salespeople.active(session)}
    candidates = [Candidate(id=p.id, name=p.name) for p in people.values()]
    last = await repository.last_assigned_salesperson(session)
    routed: list[Routed] = []
    assignments: list[tuple[LeadScored, LeadRow, AssignmentRow]] = []
    for scored in events:
        if scored.event_id in known:
            log.info("routing.duplicate_skipped", event_id=str(scored.event_id))
            continue
        known.add(scored.event_id)
        data = scored.data
        decision = round_robin(candidates, last)
        lead = LeadRow(
            id=uuid.uuid4(),
            scored_event_id=scored.event_id,
            lead_key=data.lead.lead_key,
            correlation_id=scored.correlation_id,
            campaign_id=data.lead.campaign_id,
            email=data.lead.contact.email,
            score=data.score.value,
            grade=data.score.grade,
            status="assigned" if decision else "unassigned",
            scored=data.model_dump(mode="json"),
            received_at=now,
        )
        session.add(lead)
        if decision is None:
            log.warning("routing.unassigned", lead_id=str(lead.id), reason="no active salesperson")
            routed.append(Routed(lead.id, None))
            continue
        assignment = AssignmentRow(
            id=uuid.uuid4(),
            lead_id=lead.id,
            salesperson_id=decision.salesperson_id,
            reason=decision.reason,
            assigned_at=now,
        )
        assignments.append((scored, lead, assignment))
        last = decision.salesperson_id
        log.info(
            "routing.assigned",
            lead_id=str(lead.id),
            salesperson_id=str(decision.salesperson_id),
            correlation_id=scored.correlation_id,
        )
        routed.append(Routed(lead.id, decision.salesperson_id))
    # Leads first: with no ORM relationships the unit of work does not order the
    # inserts of two tables by their foreign key.
    await session.flush()
    for scored, lead, assignment in assignments:
        session.add(assignment)
        event = _assigned_event(scored, lead, assignment, people[assignment.salesperson_id])
        _announce(session, event, lead=lead, assigned_topic=assigned_topic, now=now)
    await session.flush()
    return routed


def _announce(
    session: AsyncSession, event: LeadAssigned, *, lead: LeadRow, assigned_topic: str, now: datetime
) -> None:
    """Queue the assignment for the CRM and for ``leads.assigned``, in this transaction."""
    payload = encode(event).decode()
    headers = {
        "correlation-id": event.correlation_id,
        "event-type": event.type,
        "event-id": str(event.event_id),
    }
    for kind, destination in ((CRM_KIND, "default"), (KAFKA_KIND, assigned_topic)):
        outbox.enqueue(
            session,
            kind=kind,
            destination=destination,
            key=str(lead.id),
            payload=payload,
            headers=headers,
            idempotency_key=str(event.data.assignment_id),
            now=now,
        )
