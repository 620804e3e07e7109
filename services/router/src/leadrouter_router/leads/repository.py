"""All SQL about leads and assignments."""

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select
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


async def get_lead(session: AsyncSession, lead_id: uuid.UUID) -> LeadRow | None:
    return await session.get(LeadRow, lead_id)


async def list_leads(
    session: AsyncSession,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
    correlation_id: str | None = None,
    campaign_id: str | None = None,
    status: str | None = None,
    owner_id: uuid.UUID | None = None,
    received_from: datetime | None = None,
    received_until: datetime | None = None,
) -> Sequence[LeadRow]:
    """Newest first; ``after`` is the (received_at, id) of the last lead of the page before."""
    query = select(LeadRow).order_by(LeadRow.received_at.desc(), LeadRow.id.desc()).limit(limit)
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(LeadRow.received_at < at, and_(LeadRow.received_at == at, LeadRow.id < last_id))
        )
    filters = (
        (correlation_id, LeadRow.correlation_id),
        (campaign_id, LeadRow.campaign_id),
        (status, LeadRow.status),
        (owner_id, LeadRow.owner_id),
    )
    for value, column in filters:
        if value is not None:
            query = query.where(column == value)
    if received_from is not None:
        query = query.where(LeadRow.received_at >= received_from)
    if received_until is not None:
        query = query.where(LeadRow.received_at < received_until)
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


async def list_assignments(
    session: AsyncSession,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
    salesperson_id: uuid.UUID | None = None,
    campaign_id: str | None = None,
    pool: str | None = None,
    assigned_from: datetime | None = None,
    assigned_until: datetime | None = None,
) -> Sequence[AssignmentRow]:
    query = (
        select(AssignmentRow)
        .order_by(AssignmentRow.assigned_at.desc(), AssignmentRow.id.desc())
        .limit(limit)
    )
    if after is not None:
        at, last_id = after
        query = query.where(
            or_(
                AssignmentRow.assigned_at < at,
                and_(AssignmentRow.assigned_at == at, AssignmentRow.id < last_id),
            )
        )
    if salesperson_id is not None:
        query = query.where(AssignmentRow.salesperson_id == salesperson_id)
    if pool is not None:
        query = query.where(AssignmentRow.pool == pool)
    if campaign_id is not None:
        query = query.join(LeadRow, LeadRow.id == AssignmentRow.lead_id).where(
            LeadRow.campaign_id == campaign_id
        )
    if assigned_from is not None:
        query = query.where(AssignmentRow.assigned_at >= assigned_from)
    if assigned_until is not None:
        query = query.where(AssignmentRow.assigned_at < assigned_until)
    return (await session.scalars(query)).all()


async def previous_owners(
    session: AsyncSession, lead_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
    """Everyone each lead was ever assigned to (re-routing never goes back to them)."""
    if not lead_ids:
        return {}
    rows = await session.execute(
        select(AssignmentRow.lead_id, AssignmentRow.salesperson_id).where(
            AssignmentRow.lead_id.in_(lead_ids)
        )
    )
    owners: dict[uuid.UUID, set[uuid.UUID]] = {}
    for lead_id, person in rows.all():
        owners.setdefault(lead_id, set()).add(person)
    return {lead_id: frozenset(people) for lead_id, people in owners.items()}


async def count_leads(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(LeadRow)) or 0)
