"""All SQL of the service-level checker."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.campaigns.models import CampaignRow
from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.salespeople.models import SalespersonRow


async def unarmed(
    session: AsyncSession, *, limit: int
) -> Sequence[tuple[AssignmentRow, str, dict[str, Any] | None, SalespersonRow]]:
    """Assignments whose deadlines are not set yet (open or ended), with what sets them."""
    result = await session.execute(
        select(AssignmentRow, LeadRow.grade, CampaignRow.sla, SalespersonRow)
        .join(LeadRow, LeadRow.id == AssignmentRow.lead_id)
        .join(SalespersonRow, SalespersonRow.id == AssignmentRow.salesperson_id)
        .outerjoin(CampaignRow, CampaignRow.campaign_id == LeadRow.campaign_id)
        .where(AssignmentRow.sla_armed == false())
        .order_by(AssignmentRow.assigned_at, AssignmentRow.id)
        .limit(limit)
        .with_for_update(of=AssignmentRow, skip_locked=True)
    )
    return [(a, grade, sla, person) for a, grade, sla, person in result.all()]


async def breached(session: AsyncSession, *, now: datetime, limit: int) -> Sequence[AssignmentRow]:
    """Open assignments past a deadline they have not met, oldest first."""
    accept_missed = and_(AssignmentRow.stage == "new", AssignmentRow.accept_due_at <= now)
    touch_missed = and_(
        AssignmentRow.stage.in_(("new", "accepted")), AssignmentRow.touch_due_at <= now
    )
    result = await session.scalars(
        select(AssignmentRow)
        .where(AssignmentRow.ended_at.is_(None), or_(accept_missed, touch_missed))
        .order_by(AssignmentRow.assigned_at, AssignmentRow.id)
        .limit(limit)
    )
    return result.all()
