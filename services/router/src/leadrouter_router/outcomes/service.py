"""Use cases: the CRM calls back (accept, reject, activity, outcome), and a lead leaves
its salesperson (rejected or SLA missed) to be routed again.

Runs in the caller's transaction: the stage change, the callback record, the
re-assignment and the ``leads.outcomes`` message commit together or not at all.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.errors import Conflict
from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.outcomes import repository
from leadrouter_router.outcomes.metrics import OutcomeMetrics
from leadrouter_router.outcomes.models import CallbackRow
from leadrouter_router.outcomes.schemas import (
    ActivityIn,
    Callback,
    CallbackOut,
    OutcomeIn,
    RejectIn,
)
from leadrouter_router.outcomes.states import Action, OutOfOrder, Transition, advance
from leadrouter_router.platform import outbox
from leadrouter_router.platform.kafka_delivery import KAFKA_KIND
from leadrouter_router.platform.lookup import found
from leadrouter_router.routing.metrics import RoutingMetrics
from leadrouter_router.routing.service import route_again
from leadrouter_runtime.problems import InvalidBody, InvalidParam
from leadrouter_runtime.values import CLOCK_SKEW
from leadrouter_schemas import LeadOutcomeData, LeadOutcomeRecorded, encode, header_values

log = structlog.get_logger(__name__)

_RECORDED_AS = {"accept": "accepted", "reject": "rejected", "activity": "contacted"}


class OutOfOrderCallback(Conflict):
    title = "Out of order for the lead's current state"


@dataclass(frozen=True, slots=True)
class Topics:
    assigned: str
    outcomes: str


@dataclass(frozen=True, slots=True)
class Recorded:
    answer: CallbackOut
    replayed: bool


async def record_callback(
    session: AsyncSession,
    lead_id: uuid.UUID,
    action: Action,
    body: Callback,
    *,
    now: datetime,
    topics: Topics,
    metrics: OutcomeMetrics | None = None,
    routing_metrics: RoutingMetrics | None = None,
) -> Recorded:
    # The lead is locked first: concurrent repeats of one event id wait here, and the
    # first one's callback is committed (and found below) when the next gets the lock.
    lead = await repository.lead_for_update(session, lead_id)
    previous = await repository.callback_by_event_id(session, body.event_id)
    if previous is not None:
        if previous.lead_id != lead_id or previous.action != action:
            raise Conflict(
                f"The event id {body.event_id!r} was used for {previous.action} on lead"
                f" {previous.lead_id}."
            )
        return Recorded(CallbackOut.model_validate(previous.answer), replayed=True)

    lead = found(lead, f"No lead {lead_id}.")
    assignment = await repository.latest_assignment(session, lead_id)
    if lead.status not in ("assigned", "closed") or assignment is None:
        raise OutOfOrderCallback(f"The lead is {lead.status}: nobody has it to {action} it.")
    at = occurred_at(body, assignment, now=now)
    if body.salesperson_id is not None and body.salesperson_id != assignment.salesperson_id:
        raise OutOfOrderCallback(
            f"The lead is with salesperson {assignment.salesperson_id} now"
            f" (stage {assignment.stage}), not {body.salesperson_id}."
        )
    outcome = body.outcome if isinstance(body, OutcomeIn) else None
    try:
        transition = advance(assignment.stage, action, outcome)
    except OutOfOrder as error:
        raise OutOfOrderCallback(f"{error.detail} (the lead's stage is {error.stage}).") from error

    reason = body.reason if isinstance(body, RejectIn | OutcomeIn) else None
    _apply(lead, assignment, transition, at=at, reason=reason)
    if transition.reroute:
        await reassign(
            session,
            lead,
            why="rejected",
            now=now,
            assigned_topic=topics.assigned,
            metrics=metrics,
            routing_metrics=routing_metrics,
        )
    recorded_as = outcome or _RECORDED_AS[action]
    answer = CallbackOut(
        lead_id=lead.id,
        event_id=body.event_id,
        outcome=recorded_as,
        stage=transition.stage,
        lead_status=lead.status,
        owner_id=lead.owner_id,
    )
    row = CallbackRow(
        id=uuid.uuid4(),
        event_id=body.event_id,
        lead_id=lead.id,
        assignment_id=assignment.id,
        salesperson_id=assignment.salesperson_id,
        action=action,
        outcome=recorded_as,
        channel=body.channel if isinstance(body, ActivityIn) else None,
        reason=reason,
        value=body.value if isinstance(body, OutcomeIn) else None,
        currency=body.currency if isinstance(body, OutcomeIn) else None,
        answer=answer.model_dump(mode="json"),
        recorded_at=now,
    )
    session.add(row)
    await session.flush()
    await outbox.enqueue_all(session, [_announce(row, lead, at=at, topic=topics.outcomes)])
    if metrics is not None:
        metrics.outcomes.labels(outcome=recorded_as).inc()
    log.info(
        "outcomes.recorded",
        lead_id=str(lead.id),
        outcome=recorded_as,
        stage=transition.stage,
        correlation_id=lead.correlation_id,
    )
    return Recorded(answer, replayed=False)


def occurred_at(body: Callback, assignment: AssignmentRow, *, now: datetime) -> datetime:
    """When the callback's fact happened: the CRM's time when it is plausible (not in
    the future beyond ``CLOCK_SKEW``, not before the assignment it reports on), else
    422; a time outside would bend the SLA and time-to-touch figures."""
    if body.occurred_at is None:
        return now
    reason = None
    if body.occurred_at > now + CLOCK_SKEW:
        reason = f"is in the future (our clock: {now.isoformat()})"
    elif body.occurred_at < assignment.assigned_at:
        reason = f"is before the assignment it reports on ({assignment.assigned_at.isoformat()})"
    if reason is not None:
        raise InvalidBody(
            f"occurred_at {reason}.",
            invalid_params=[InvalidParam(name="occurred_at", reason=reason)],
        )
    return body.occurred_at


def _apply(
    lead: LeadRow,
    assignment: AssignmentRow,
    transition: Transition,
    *,
    at: datetime,
    reason: str | None,
) -> None:
    assignment.stage = transition.stage
    if transition.stage == "accepted":
        assignment.accepted_at = at
    if transition.first_touch:
        assignment.first_touch_at = at
    if transition.reroute or transition.closes_lead:
        assignment.ended_at = at
        assignment.end_reason = (reason or transition.stage)[:500]
    if transition.closes_lead:
        lead.status = "closed"


async def reassign(
    session: AsyncSession,
    lead: LeadRow,
    *,
    why: str,
    now: datetime,
    assigned_topic: str,
    metrics: OutcomeMetrics | None,
    routing_metrics: RoutingMetrics | None,
) -> None:
    """Route ``lead`` again, never to anyone who already had it; nobody else
    eligible: it waits unassigned (and the periodic re-check tries it again)."""
    routed = await route_again(
        session, [lead], now=now, assigned_topic=assigned_topic, metrics=routing_metrics
    )
    result = routed[0].outcome if routed else "unassigned"
    if metrics is not None:
        metrics.reassignments.labels(reason=why, result=result).inc()
    log.info(
        "outcomes.reassigned",
        lead_id=str(lead.id),
        why=why,
        result=result,
        salesperson_id=str(lead.owner_id) if lead.owner_id else None,
        correlation_id=lead.correlation_id,
    )


def _announce(row: CallbackRow, lead: LeadRow, *, at: datetime, topic: str) -> dict[str, object]:
    event = LeadOutcomeRecorded(
        event_id=row.id,
        occurred_at=at,
        source="router",
        correlation_id=lead.correlation_id,
        data=LeadOutcomeData(
            lead_id=lead.id,
            outcome=row.outcome,
            recorded_at=row.recorded_at,
            salesperson_id=row.salesperson_id,
            reason=row.reason,
            value=row.value,
            currency=row.currency,
            channel=row.channel,
            assignment_id=row.assignment_id,
            reassigned_to=lead.owner_id if row.action == "reject" else None,
        ),
    )
    return outbox.pending_message(
        kind=KAFKA_KIND,
        destination=topic,
        key=str(lead.id),
        payload=encode(event).decode(),
        headers=header_values(event),
        idempotency_key=str(event.event_id),
        now=row.recorded_at,
    )
