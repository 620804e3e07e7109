"""All SQL about callbacks and the assignment a callback acts on."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.outcomes.models import CallbackRow


async def callback_by_event_id(session: AsyncSession, event_id: str) -> CallbackRow | None:
    return await session.scalar(select(CallbackRow).where(CallbackRow.event_id == event_id))


async def lead_for_update(session: AsyncSession, lead_id: uuid.UUID) -> LeadRow | None:
    """The lead, locked until the commit (PostgreSQL): callbacks on a lead are serial."""
    return await session.scalar(select(LeadRow).where(LeadRow.id == lead_id).with_for_update())


async def latest_assignment(session: AsyncSession, lead_id: uuid.UUID) -> AssignmentRow | None:
    return await session.scalar(
        select(AssignmentRow)
        .where(AssignmentRow.lead_id == lead_id)
        .order_by(AssignmentRow.assigned_at.desc(), AssignmentRow.id.desc())
        .limit(1)
    )
