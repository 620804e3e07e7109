"""The ops page's reads: SLA breaches and the latest decisions, newest first."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.routing.models import DecisionRow
from leadrouter_router.routing.record import Recorded, load
from leadrouter_router.salespeople.models import SalespersonRow


async def sla_breaches(
    session: AsyncSession, *, since: datetime, limit: int
) -> Sequence[tuple[AssignmentRow, LeadRow, str, str | None]]:
    """Assignments ended by a missed deadline since ``since``: each with its lead, the
    name of who missed it, and the name of the lead's owner now."""
    missed_by = aliased(SalespersonRow)
    owner = aliased(SalespersonRow)
    result = await session.execute(
        select(AssignmentRow, LeadRow, missed_by.name, owner.name)
        .join(LeadRow, LeadRow.id == AssignmentRow.lead_id)
        .join(missed_by, missed_by.id == AssignmentRow.salesperson_id)
        .outerjoin(owner, owner.id == LeadRow.owner_id)
        .where(AssignmentRow.stage == "breached", AssignmentRow.ended_at >= since)
        .order_by(AssignmentRow.ended_at.desc(), AssignmentRow.id.desc())
        .limit(limit)
    )
    return [(a, lead, by, now_with) for a, lead, by, now_with in result.all()]


async def due_by(
    session: AsyncSession, *, until: datetime, limit: int
) -> Sequence[tuple[AssignmentRow, LeadRow, str]]:
    """Open assignments with a deadline not met by ``until`` (overdue ones included:
    the checker acts on them at its next pass), oldest first, with the owner's name."""
    accept = and_(AssignmentRow.stage == "new", AssignmentRow.accept_due_at <= until)
    touch = and_(AssignmentRow.stage.in_(("new", "accepted")), AssignmentRow.touch_due_at <= until)
    result = await session.execute(
        select(AssignmentRow, LeadRow, SalespersonRow.name)
        .join(LeadRow, LeadRow.id == AssignmentRow.lead_id)
        .join(SalespersonRow, SalespersonRow.id == AssignmentRow.salesperson_id)
        .where(AssignmentRow.ended_at.is_(None), or_(accept, touch))
        .order_by(AssignmentRow.assigned_at, AssignmentRow.id)
        .limit(limit)
    )
    return [(a, lead, name) for a, lead, name in result.all()]


async def latest_decisions(
    session: AsyncSession, *, limit: int
) -> Sequence[tuple[DecisionRow, LeadRow, str | None, Recorded]]:
    """The most recent decisions with their leads, the chosen salesperson's name and
    the record (either version: the line needs only what both say)."""
    result = await session.execute(
        select(DecisionRow, LeadRow, SalespersonRow.name)
        .join(LeadRow, LeadRow.id == DecisionRow.lead_id)
        .outerjoin(SalespersonRow, SalespersonRow.id == DecisionRow.salesperson_id)
        .order_by(DecisionRow.decided_at.desc(), DecisionRow.id.desc())
        .limit(limit)
    )
    return [
        (decision, lead, name, load(decision.record, decision.compact))
        for decision, lead, name in result.all()
    ]
