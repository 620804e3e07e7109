"""All SQL about accounts."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.accounts.models import AccountRow


async def get(session: AsyncSession, account_id: uuid.UUID) -> AccountRow | None:
    return await session.get(AccountRow, account_id)


async def all_accounts(session: AsyncSession) -> Sequence[AccountRow]:
    return (await session.scalars(select(AccountRow).order_by(AccountRow.name))).all()
