"""All SQL about callbacks and the assignment a callback acts on."""

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.outcomes.models import CallbackRow


async def callback_by_event_id(session: AsyncSession, event_id: str) -> CallbackRow | None:
    return await session.scalar(select(CallbackRow).where(CallbackRow.event_id == event_id))


async def lead_for_update(session: AsyncSession, lead_id: uuid.UUID) -> LeadRow | None:
    """The lead, locked until the commit: callbacks on a lead are serial, and what is read
    after this sees every callback committed before. PostgreSQL locks the row; SQLite has
    no row locks, so a no-op write takes its database write lock (the driver's BEGIN
    comes with the first write) before anything is read."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(LeadRow)
            .where(LeadRow.id == lead_id)
            .values(id=LeadRow.id)
            .execution_options(synchronize_session=False)
        )
    return await session.scalar(select(LeadRow).where(LeadRow.id == lead_id).with_for_update())


async def latest_assignment(session: AsyncSession, lead_id: uuid.UUID) -> AssignmentRow | None:
    return await session.scalar(
        select(AssignmentRow)
        .where(AssignmentRow.lead_id == lead_id)
        .order_by(AssignmentRow.assigned_at.desc(), AssignmentRow.id.desc())
        .limit(1)
    )


async def insert_callbacks(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Recorded callbacks in bulk, one multi-row insert (the demo history writes tens
    of thousands; the callback API records one at a time)."""
    if rows:
        # Core, not the ORM's bulk path: one executemany, not a statement per row.
        callbacks: Table = CallbackRow.__table__  # type: ignore[assignment]
        await session.execute(insert(callbacks), rows)
