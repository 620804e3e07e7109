"""All SQL about territories."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.territories.models import TerritoryRow


async def all_territories(session: AsyncSession) -> Sequence[TerritoryRow]:
    return (await session.scalars(select(TerritoryRow).order_by(TerritoryRow.name))).all()


async def by_name(session: AsyncSession, name: str) -> TerritoryRow | None:
    return await session.scalar(select(TerritoryRow).where(TerritoryRow.name == name))


async def get(session: AsyncSession, territory_id: uuid.UUID) -> TerritoryRow | None:
    return await session.get(TerritoryRow, territory_id)
