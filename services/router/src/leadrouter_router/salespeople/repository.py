"""All SQL about salespeople."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.salespeople.models import SalespersonRow


async def active(session: AsyncSession) -> Sequence[SalespersonRow]:
    """Active salespeople in a stable order (the round-robin order)."""
    result = await session.scalars(
        select(SalespersonRow)
        .where(SalespersonRow.active.is_(True))
        .order_by(SalespersonRow.created_at, SalespersonRow.id)
    )
    return result.all()


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(SalespersonRow)) or 0)


def add(
    session: AsyncSession, *, name: str, email: str, crm_user_id: str | None, now: datetime
) -> SalespersonRow:
    row = SalespersonRow(name=name, email=email, crm_user_id=crm_user_id, created_at=now)
    session.add(row)
    return row
