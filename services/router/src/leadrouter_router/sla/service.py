"""Use cases of the service levels: set each new assignment's deadlines (counted in
its salesperson's business hours), and act on the ones missed: the lead goes to the
next eligible salesperson, the manager is told (a webhook, through the outbox).

Deadlines are columns of ``assignments``: a restart loses no timer, the next
check finds what is due. The routing use case sets them with the assignment, in
the same transaction; the checker sets those of assignments made without them
(before this was so), from ``assigned_at``: the same instant as at assignment.
"""

import json
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.leads.models import AssignmentRow
from leadrouter_router.outcomes import repository as outcomes
from leadrouter_router.outcomes.metrics import OutcomeMetrics
from leadrouter_router.outcomes.service import reassign
from leadrouter_router.outcomes.states import OutOfOrder, advance
from leadrouter_router.platform import outbox
from leadrouter_router.routing.deadlines import assignment_deadlines
from leadrouter_router.routing.metrics import RoutingMetrics
from leadrouter_router.routing.snapshot import person_of
from leadrouter_router.sla import repository

SLA_MISSED_PREFIX = "sla_"  # end_reason of a breached assignment: "sla_<target> missed"
log = structlog.get_logger(__name__)

WEBHOOK_KIND = "webhook"
MANAGER = "manager"


@dataclass(frozen=True, slots=True)
class Checked:
    armed: int
    breached: int


async def arm_deadlines(session: AsyncSession, *, limit: int) -> int:
    """Set the deadlines of assignments made without them: by a router before they
    were set at assignment, or by an older one during an upgrade. Ended ones too, so
    that the reports know whether they met their targets."""
    rows = await repository.unarmed(session, limit=limit)
    for assignment, grade, sla, salesperson in rows:
        deadlines = assignment_deadlines(sla, grade, person_of(salesperson), assignment.assigned_at)
        for target in deadlines.unreachable:
            log.warning("sla.no_deadline", assignment_id=str(assignment.id), target=target)
        assignment.accept_due_at = deadlines.accept_due_at
        assignment.touch_due_at = deadlines.touch_due_at
        assignment.sla_armed = True
    await session.flush()
    return len(rows)


async def act_on_breaches(
    session: AsyncSession,
    *,
    now: datetime,
    assigned_topic: str,
    limit: int,
    notify_manager: bool,
    metrics: OutcomeMetrics | None = None,
    routing_metrics: RoutingMetrics | None = None,
) -> int:
    missed = await repository.breached(session, now=now, limit=limit)
    acted = 0
    for assignment in missed:
        # The lead's lock first, as a callback takes it: a reject racing with the
        # breach (or a second checker) waits, and then finds the assignment ended.
        lead = await outcomes.lead_for_update(session, assignment.lead_id)
        await session.refresh(assignment)
        if lead is None or assignment.ended_at is not None or not _due_now(assignment, now):
            continue
        acted += 1
        target = _missed_target(assignment, now)
        try:
            transition = advance(assignment.stage, "breach")
        except OutOfOrder:  # pragma: no cover  (the query only finds new or accepted)
            continue
        assignment.stage = transition.stage
        assignment.ended_at = now
        assignment.end_reason = f"{SLA_MISSED_PREFIX}{target} missed"
        previous_owner = assignment.salesperson_id
        await reassign(
            session,
            lead,
            why=f"sla_{target}",
            now=now,
            assigned_topic=assigned_topic,
            metrics=metrics,
            routing_metrics=routing_metrics,
        )
        if metrics is not None:
            metrics.sla_breaches.labels(target=target).inc()
        log.warning(
            "sla.breached",
            lead_id=str(lead.id),
            assignment_id=str(assignment.id),
            target=target,
            reassigned_to=str(lead.owner_id) if lead.owner_id else None,
            correlation_id=lead.correlation_id,
        )
        if notify_manager:
            notification = {
                "type": "sla.breached",
                "lead_id": str(lead.id),
                "campaign_id": lead.campaign_id,
                "assignment_id": str(assignment.id),
                "target": target,
                "due_at": _due(assignment, target).isoformat(),
                "detected_at": now.isoformat(),
                "salesperson_id": str(previous_owner),
                "reassigned_to": str(lead.owner_id) if lead.owner_id else None,
                "lead_status": lead.status,
                "correlation_id": lead.correlation_id,
            }
            outbox.enqueue(
                session,
                kind=WEBHOOK_KIND,
                destination=MANAGER,
                key=str(lead.id),
                payload=json.dumps(notification),
                headers={"correlation-id": lead.correlation_id},
                idempotency_key=f"sla-{assignment.id}",
                now=now,
            )
    await session.flush()
    return acted


def _due_now(assignment: AssignmentRow, now: datetime) -> bool:
    accept = assignment.accept_due_at
    touch = assignment.touch_due_at
    return (assignment.stage == "new" and accept is not None and accept <= now) or (
        assignment.stage in ("new", "accepted") and touch is not None and touch <= now
    )


def missed_target(end_reason: str | None) -> str | None:
    """Which deadline a breached assignment missed, from the end reason written above."""
    if end_reason is None or not end_reason.startswith(SLA_MISSED_PREFIX):
        return None
    return end_reason.removeprefix(SLA_MISSED_PREFIX).removesuffix(" missed")


def _missed_target(assignment: AssignmentRow, now: datetime) -> str:
    if (
        assignment.stage == "new"
        and assignment.accept_due_at is not None
        and assignment.accept_due_at <= now
    ):
        return "accept"
    return "first_touch"


def _due(assignment: AssignmentRow, target: str) -> datetime:
    due = assignment.accept_due_at if target == "accept" else assignment.touch_due_at
    assert due is not None
    return due
