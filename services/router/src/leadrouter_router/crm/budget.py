"""One request budget per CRM account, shared by every relay of every router process.

A token bucket in one database row (``crm_rate_budgets``): ``tokens`` refill at
``per_s`` up to ``burst``; a call takes one token or learns how long to wait. The row
is locked for the few statements of a take (an ``UPDATE`` first: a row lock on
PostgreSQL, the write lock on SQLite), so two replicas never spend one token twice.

The CRM's answers feed it (answers.rate_signal): a remaining count lower than the
bucket's (HubSpot's ``X-HubSpot-RateLimit-Remaining``, another app spending the same
account) lowers it; a 429 (``Retry-After``, else HubSpot's interval) or Salesforce's
``REQUEST_LIMIT_EXCEEDED`` empties it and blocks every replica until then. A call whose
wait would be longer than ``max_wait_s`` is not made: it fails as retryable with that
wait, so a blocked account costs no request at all (no 429 storm).
See docs/decisions/0503-crm-batches-and-a-shared-rate-budget.md.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field

from sqlalchemy import Float, String, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from leadrouter_router.platform.db import Base
from leadrouter_router.platform.outbox import RetryableDeliveryError


class RateBudgetRow(Base):
    __tablename__ = "crm_rate_budgets"

    account: Mapped[str] = mapped_column(
        String(500), primary_key=True, doc="The CRM and its account's base URL (no secret)."
    )
    tokens: Mapped[float] = mapped_column(Float, doc="Requests that may be made now.")
    refilled_at: Mapped[float] = mapped_column(Float, doc="When tokens was computed (epoch s).")
    blocked_until: Mapped[float] = mapped_column(
        Float, default=0.0, doc="No request before this (epoch s): a 429's Retry-After."
    )


@dataclass(frozen=True, slots=True)
class Rate:
    per_s: float
    burst: float


@dataclass(frozen=True, slots=True)
class RateSignal:
    """What one answer says about the account's budget."""

    remaining: float | None = None  # requests left in the CRM's current window
    blocked_for_s: float | None = None  # no request for this long (a 429, a used-up day)


@dataclass(eq=False, slots=True)
class RateBudget:
    sessions: async_sessionmaker[AsyncSession]
    _: KW_ONLY
    account: str
    rate: Rate
    max_wait_s: float
    clock: Callable[[], float] = time.time
    # One take at a time per process: the others of this process queue here rather
    # than on the database's lock.
    _local: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    _created: bool = field(default=False, init=False)

    async def acquire(self) -> None:
        """Take one request's token, waiting up to ``max_wait_s`` for it."""
        waited = 0.0
        while True:
            wait = await self._take()
            if wait <= 0:
                return
            if waited + wait > self.max_wait_s:
                raise RetryableDeliveryError(
                    f"the CRM account's request budget is spent for {wait:.1f} s",
                    retry_after_s=wait,
                    rate_limited=True,
                )
            await asyncio.sleep(wait)  # pacing to the CRM's rate, not synchronisation
            waited += wait

    async def observe(self, signal: RateSignal) -> None:
        if signal.remaining is None and signal.blocked_for_s is None:
            return
        async with self._local, self.sessions.begin() as session:
            row = await self._locked(session)
            now = self.clock()
            if signal.remaining is not None:
                row.tokens = min(row.tokens, max(0.0, signal.remaining))
            if signal.blocked_for_s is not None:
                row.tokens = 0.0
                row.refilled_at = max(now, row.refilled_at)
                row.blocked_until = max(row.blocked_until, now + signal.blocked_for_s)

    async def _take(self) -> float:
        """0 and one token spent, or the seconds until one is there."""
        async with self._local, self.sessions.begin() as session:
            row = await self._locked(session)
            now = self.clock()
            if row.blocked_until > now:
                return row.blocked_until - now
            start = max(row.refilled_at, row.blocked_until)
            tokens = min(self.rate.burst, row.tokens + max(0.0, now - start) * self.rate.per_s)
            row.refilled_at = now
            if tokens >= 1.0:
                row.tokens = tokens - 1.0
                return 0.0
            row.tokens = tokens
            return (1.0 - tokens) / self.rate.per_s

    async def _locked(self, session: AsyncSession) -> RateBudgetRow:
        if not self._created:
            await self._create(session)
        # The write first: it locks the row (PostgreSQL) or the database (SQLite) until
        # the transaction ends, so the read below is this replica's alone.
        await session.execute(
            update(RateBudgetRow)
            .where(RateBudgetRow.account == self.account)
            .values(account=RateBudgetRow.account)
            .execution_options(synchronize_session=False)
        )
        return (
            await session.scalars(
                select(RateBudgetRow)
                .where(RateBudgetRow.account == self.account)
                .execution_options(populate_existing=True)
            )
        ).one()

    async def _create(self, session: AsyncSession) -> None:
        values = {
            "account": self.account,
            "tokens": self.rate.burst,
            "refilled_at": self.clock(),
            "blocked_until": 0.0,
        }
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        await session.execute(insert(RateBudgetRow).values(values).on_conflict_do_nothing())
        self._created = True
