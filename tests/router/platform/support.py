"""Shared by the outbox relay's tests: a relay on the wall clock, and running it."""

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrouter_router.platform.outbox import DELIVERED, Deliverer, OutboxRelay, OutboxRow


def now() -> datetime:
    return datetime.now(UTC)


def relay_of(
    sessions: async_sessionmaker[AsyncSession],
    deliverers: Mapping[str, Deliverer],
    *,
    batch_size: int,
    backoff_s: tuple[float, float],
    lease_s: float = 10,
    **options: Any,
) -> OutboxRelay:
    """A relay polling every 50 ms on the wall clock, backing off between
    ``backoff_s`` (base, max); ``options`` as ``OutboxRelay`` takes them."""
    base, most = backoff_s
    return OutboxRelay(
        sessions=sessions,
        deliverers=deliverers,
        clock=now,
        poll_interval_s=0.05,
        batch_size=batch_size,
        lease_s=lease_s,
        backoff_base_s=base,
        backoff_max_s=most,
        **options,
    )


@asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[None]:
    """The relay's loop running (cancelled at the end)."""
    task = asyncio.create_task(relay.run())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def all_delivered(sessions: async_sessionmaker[AsyncSession]) -> bool | None:
    """Whether every message of the outbox is delivered (None while not: for
    ``eventually``)."""
    async with sessions() as session:
        left = await session.scalar(select(func.count()).where(OutboxRow.status != DELIVERED))
    return left == 0 or None
