"""All SQL about leads and assignments."""

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from leadrouter_router.leads.models import AssignmentRow, LeadRow

Row = TypeVar("Row", LeadRow, AssignmentRow)


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


def _newest_first(
    query: Select[Row],
    at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[uuid.UUID],
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
    since: datetime | None,
    until: datetime | None,
) -> Select[Row]:
    """One page of ``query`` newest first by (``at``, ``row_id``): after the (at, id) of
    the last row of the page before, within ``since <= at < until`` (each bound if given)."""
    query = query.order_by(at.desc(), row_id.desc()).limit(limit)
    if after is not None:
        last_at, last_id = after
        query = query.where(or_(at < last_at, and_(at == last_at, row_id < last_id)))
    if since is not None:
        query = query.where(at >= since)
    if until is not None:
        query = query.where(at < until)
    return query


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
    query = _newest_first(
        select(LeadRow),
        LeadRow.received_at,
        LeadRow.id,
        limit=limit,
        after=after,
        since=received_from,
        until=received_until,
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
    query = _newest_first(
        select(AssignmentRow),
        AssignmentRow.assigned_at,
        AssignmentRow.id,
        limit=limit,
        after=after,
        since=assigned_from,
        until=assigned_until,
    )
    if salesperson_id is not None:
        query = query.where(AssignmentRow.salesperson_id == salesperson_id)
    if pool is not None:
        query = query.where(AssignmentRow.pool == pool)
    if campaign_id is not None:
        query = query.join(LeadRow, LeadRow.id == AssignmentRow.lead_id).where(
            LeadRow.campaign_id == campaign_id
        )
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
