"""All SQL about territories."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.territories.models import TerritoryRow


async def all_territories(session: AsyncSession) -> Sequence[TerritoryRow]:
    return (await session.scalars(select(TerritoryRow).order_by(TerritoryRow.name))).all()


async def by_name(session: AsyncSession, name: str) -> TerritoryRow | None:
    return await session.scalar(select(TerritoryRow).where(TerritoryRow.name == name))
