"""The writes of an endpoint that stores its body's values as one row (accounts,
territories): flushed at once, so that a constraint the database keeps answers here,
as a problem, and the row answered carries what the database filled in."""

from collections.abc import Mapping
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

R = TypeVar("R")


async def add(session: AsyncSession, row: R) -> R:
    session.add(row)
    await session.flush()
    return row


async def update(session: AsyncSession, row: R, values: Mapping[str, object]) -> R:
    for name, value in values.items():
        setattr(row, name, value)
    await session.flush()
    return row
