"""All SQL about leads and assignments."""

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.leads.models import AssignmentRow, LeadRow


async def known_scored_event_ids(
    session: AsyncSession, event_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    if not event_ids:
        return set()
    result = await session.scalars(
        select(LeadRow.scored_event_id).where(LeadRow.scored_event_id.in_(event_ids))
    )
    return set(result.all())


async def last_assigned_salesperson(session: AsyncSession) -> uuid.UUID | None:
    return await session.scalar(
        select(AssignmentRow.salesperson_id)
        .order_by(AssignmentRow.assigned_at.desc(), AssignmentRow.id.desc())
        .limit(1)
    )


async def get_lead(session: AsyncSession, lead_id: uuid.UUID) -> LeadRow | None:
    return await session.get(LeadRow, lead_id)


async def list_leads(
    session: AsyncSession, *, correlation_id: str | None, limit: int
) -> Sequence[LeadRow]:
    query = select(LeadRow).order_by(LeadRow.received_at.desc(), LeadRow.id).limit(limit)
    if correlation_id is not None:
        query = query.where(LeadRow.correlation_id == correlation_id)
    return (await session.scalars(query)).all()


async def assignments_of(
    session: AsyncSession, lead_ids: Collection[uuid.UUID]
) -> Sequence[AssignmentRow]:
    if not lead_ids:
        return []
    result = await session.scalars(
        select(AssignmentRow)
        .where(AssignmentRow.lead_id.in_(lead_ids))
        .order_by(AssignmentRow.assigned_at)
    )
    return result.all()
