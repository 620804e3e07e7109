"""Transactional outbox: messages written in the same transaction as the state
they announce, delivered afterwards by :class:`OutboxRelay` with retries.

Claiming a message pushes its ``next_attempt_at`` one lease ahead, so a relay
that dies mid-delivery leaves it to be retried after the lease, and two relays
never deliver the same message at once (``SKIP LOCKED`` on PostgreSQL).
"""

import asyncio
import contextlib
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import JSON, String, Text, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from leadrouter_router.platform.db import Base

log = structlog.get_logger(__name__)


class OutboxRow(Base):
    __tablename__ = "outbox"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(20), doc="Which deliverer sends it, e.g. kafka, crm.")
    destination: Mapped[str] = mapped_column(String(500), doc="Topic, or the CRM's name.")
    key: Mapped[str | None] = mapped_column(String(400))
    payload: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    delivered_at: Mapped[datetime | None]


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: uuid.UUID
    kind: str
    destination: str
    key: str | None
    payload: str
    headers: Mapping[str, str]
    idempotency_key: str
    attempts: int


class RetryableDeliveryError(Exception):
    """The receiver may take it later (down, overloaded, 5xx, 429)."""

    def __init__(self, reason: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class PermanentDeliveryError(Exception):
    """The receiver refused it for good (4xx): retrying unchanged cannot help."""


Deliverer = Callable[[OutboxMessage], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Backlog:
    """Pending messages of one kind, and how long the oldest has waited."""

    pending: int
    oldest_age_s: float


BacklogObserver = Callable[[Mapping[str, Backlog]], None]


async def backlog(session: AsyncSession, *, now: datetime) -> dict[str, Backlog]:
    """Pending messages by kind (one indexed, grouped query)."""
    rows = (
        await session.execute(
            select(OutboxRow.kind, func.count(), func.min(OutboxRow.created_at))
            .where(OutboxRow.status == "pending")
            .group_by(OutboxRow.kind)
        )
    ).all()
    return {
        kind: Backlog(pending=count, oldest_age_s=max(0.0, (now - _aware(oldest)).total_seconds()))
        for kind, count, oldest in rows
    }


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything the router writes is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def messages_with_key(session: AsyncSession, *, kind: str, key: str) -> list[OutboxRow]:
    """Every message of ``kind`` for one key (e.g. a lead's CRM deliveries), oldest first."""
    return list(
        (
            await session.scalars(
                select(OutboxRow)
                .where(OutboxRow.kind == kind, OutboxRow.key == key)
                .order_by(OutboxRow.created_at, OutboxRow.id)
            )
        ).all()
    )


def schedule_retry(row: OutboxRow, *, now: datetime) -> bool:
    """Make a failed message due now (its attempts kept); False if it was not failed."""
    if row.status != "failed":
        return False
    row.status, row.next_attempt_at = "pending", now
    return True


def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    destination: str,
    payload: str,
    idempotency_key: str,
    now: datetime,
    key: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    session.add(
        OutboxRow(
            kind=kind,
            destination=destination,
            key=key,
            payload=payload,
            headers=dict(headers or {}),
            idempotency_key=idempotency_key,
            created_at=now,
            next_attempt_at=now,
            attempts=0,
            status="pending",
        )
    )


def backoff_s(attempts: int, *, base_s: float, max_s: float) -> float:
    """Exponential back-off with full jitter (never zero, never above ``max_s``)."""
    ceiling = min(max_s, base_s * 2 ** max(0, attempts - 1))
    return max(base_s / 2, random.uniform(0, ceiling))  # noqa: S311  (jitter, not secrecy)


class OutboxRelay:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        deliverers: Mapping[str, Deliverer],
        clock: Callable[[], datetime],
        poll_interval_s: float,
        batch_size: int,
        lease_s: float,
        backoff_base_s: float,
        backoff_max_s: float,
        on_backlog: BacklogObserver | None = None,
    ) -> None:
        self._sessions = sessions
        self._deliverers = deliverers
        self._clock = clock
        self._poll_interval_s = poll_interval_s
        self._batch_size = batch_size
        self._lease = timedelta(seconds=lease_s)
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._wakeup = asyncio.Event()
        self._on_backlog = on_backlog

    def wake(self) -> None:
        """New messages were committed: deliver now rather than at the next poll."""
        self._wakeup.set()

    async def run(self) -> None:
        while True:
            try:
                delivered = await self.deliver_due()
                await self.observe_backlog()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox.relay_failed")
                delivered = 0
            if delivered < self._batch_size:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self._poll_interval_s)

    async def observe_backlog(self) -> None:
        """Tell the observer (the metrics) what is still pending, by kind."""
        if self._on_backlog is None:
            return
        async with self._sessions() as session:
            self._on_backlog(await backlog(session, now=self._clock()))

    async def deliver_due(self) -> int:
        """Claim the messages that are due, deliver them, record each result."""
        messages = await self._claim()
        if not messages:
            return 0
        results = await asyncio.gather(
            *(self._deliverers[m.kind](m) for m in messages), return_exceptions=True
        )
        await self._record(messages, results)
        return len(messages)

    async def _claim(self) -> list[OutboxMessage]:
        now = self._clock()
        async with self._sessions.begin() as session:
            rows = (
                await session.scalars(
                    select(OutboxRow)
                    .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
                    .order_by(OutboxRow.created_at)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                row.next_attempt_at = now + self._lease
            return [
                OutboxMessage(
                    id=row.id,
                    kind=row.kind,
                    destination=row.destination,
                    key=row.key,
                    payload=row.payload,
                    headers=dict(row.headers),
                    idempotency_key=row.idempotency_key,
                    attempts=row.attempts,
                )
                for row in rows
            ]

    async def _record(
        self, messages: list[OutboxMessage], results: list[BaseException | None]
    ) -> None:
        now = self._clock()
        async with self._sessions.begin() as session:
            for message, result in zip(messages, results, strict=True):
                row = await session.get_one(OutboxRow, message.id)
                row.attempts += 1
                if result is None:
                    row.status, row.delivered_at, row.last_error = "delivered", now, None
                    continue
                row.last_error = f"{type(result).__name__}: {result}"[:2000]
                if isinstance(result, PermanentDeliveryError):
                    row.status = "failed"
                    log.error(
                        "outbox.failed",
                        id=str(row.id),
                        kind=row.kind,
                        error=row.last_error,
                        correlation_id=message.headers.get("correlation-id"),
                    )
                    continue
                delay = backoff_s(
                    row.attempts, base_s=self._backoff_base_s, max_s=self._backoff_max_s
                )
                if isinstance(result, RetryableDeliveryError) and result.retry_after_s is not None:
                    delay = max(delay, result.retry_after_s)
                row.next_attempt_at = now + timedelta(seconds=delay)
                log.warning(
                    "outbox.retry_scheduled",
                    id=str(row.id),
                    kind=row.kind,
                    attempts=row.attempts,
                    delay_s=round(delay, 2),
                    error=row.last_error,
                    correlation_id=message.headers.get("correlation-id"),
                )


def pending_message(
    *,
    kind: str,
    destination: str,
    payload: str,
    idempotency_key: str,
    now: datetime,
    key: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """One outbox row as :func:`enqueue` writes it, for :func:`enqueue_all`."""
    return {
        "id": uuid.uuid4(),
        "kind": kind,
        "destination": destination,
        "key": key,
        "payload": payload,
        "headers": dict(headers or {}),
        "idempotency_key": idempotency_key,
        "created_at": now,
        "next_attempt_at": now,
        "attempts": 0,
        "status": "pending",
    }


async def enqueue_all(session: AsyncSession, messages: list[dict[str, object]]) -> None:
    """Many messages in one statement (a batch of assignments), same transaction."""
    if messages:
        await session.execute(insert(OutboxRow), messages)
