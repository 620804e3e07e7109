"""Transactional outbox: messages written in the same transaction as the state
they announce, delivered afterwards by :class:`OutboxRelay` with retries.

Messages of one stream (kind, destination and key: one lead's CRM deliveries, one
lead's records on one topic) are delivered in the order they were written: a relay
claims only the head of each stream, the oldest message not yet ended, and only
once none before it is pending; streams are independent and delivered concurrently.
Claiming pushes the head's ``next_attempt_at`` one lease ahead (``leased_until``),
so the whole stream waits for that relay, a relay that dies mid-delivery leaves the
head to be retried after the lease, and two relays never deliver one stream at once
(``SKIP LOCKED`` on PostgreSQL; SQLite serialises the claims). In a superseding kind
(the CRM's, where the last assignment is the only one that matters) a head with a
newer message behind it is ended as ``superseded`` instead of being delivered.
See docs/decisions/0502-outbox-order-by-key.md.
"""

import asyncio
import contextlib
import random
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

import structlog
from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    Identity,
    Index,
    String,
    Text,
    Update,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, aliased, mapped_column

from leadrouter_router.platform.db import Base

log = structlog.get_logger(__name__)


PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
SUPERSEDED = "superseded"


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_stream", "kind", "destination", "key", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    seq: Mapped[int] = mapped_column(
        BigInteger,
        Identity(),  # PostgreSQL; on SQLite a trigger copies the rowid (migration 0007)
        doc="Written order, given by the database: a stream is delivered in this order.",
    )
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
    leased_until: Mapped[datetime | None] = mapped_column(
        doc="Set while a relay holds the message (the attempt is in flight)."
    )


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
    leased_until: datetime | None = None  # the claim: a result is recorded only under it


class RetryableDeliveryError(Exception):
    """The receiver may take it later (down, overloaded, 5xx, 429).

    ``rate_limited`` marks a rate signal (a 429): the receiver is up and asks us to
    slow down, so it does not count towards opening the destination's circuit."""

    def __init__(
        self, reason: str, *, retry_after_s: float | None = None, rate_limited: bool = False
    ) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s
        self.rate_limited = rate_limited


class PermanentDeliveryError(Exception):
    """The receiver refused it for good (4xx): retrying unchanged cannot help."""


Deliverer = Callable[[OutboxMessage], Awaitable[None]]


@runtime_checkable
class BatchDeliverer(Protocol):
    """A deliverer that also takes many messages of one destination in one call.

    When the deliverer of a kind has these two members, the relay groups the messages
    it claimed by (kind, destination) into chunks of at most ``max_batch`` and calls
    :meth:`deliver_batch` once per chunk instead of the deliverer once per message.
    Only stream heads are claimed, so a chunk holds at most one message per key and
    the per-key order holds as with single deliveries."""

    max_batch: int

    async def deliver_batch(self, messages: Sequence[OutboxMessage]) -> list[BaseException | None]:
        """One result per message, in the order given: ``None`` for delivered, else a
        :class:`RetryableDeliveryError` or :class:`PermanentDeliveryError` (any other
        exception is retried as unexpected). An exception raised by the call itself
        is the result of every message of the chunk."""
        ...


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
            .where(OutboxRow.status == PENDING)
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
                .order_by(OutboxRow.seq)
            )
        ).all()
    )


def schedule_retry(row: OutboxRow, *, now: datetime) -> bool:
    """Make a failed message due now (its attempts kept); False if it was not failed.
    In a superseding kind, a newer message of its stream still ends it unsent."""
    if row.status != FAILED:
        return False
    row.status, row.next_attempt_at = PENDING, now
    return True


def _not_held(now: datetime) -> ColumnElement[bool]:
    return or_(OutboxRow.leased_until.is_(None), OutboxRow.leased_until <= now)


async def supersede(
    session: AsyncSession, *, kind: str, keys: Collection[str], now: datetime
) -> None:
    """End as ``superseded`` the messages of ``kind`` for ``keys`` that no relay holds
    and that were not delivered: what they announce is no longer true (the lead left
    that salesperson). One held by a relay is left to it, and ended after its attempt
    if a newer message follows (:class:`OutboxRelay`): ending it now would let the
    newer one overtake it."""
    if keys:
        await session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.kind == kind,
                OutboxRow.key.in_(list(keys)),
                OutboxRow.status.in_((PENDING, FAILED)),
                _not_held(now),
            )
            .values(status=SUPERSEDED)
            .execution_options(synchronize_session=False)
        )


def _superseded_heads(kinds: Collection[str], now: datetime) -> Update:
    """Undelivered messages of a superseding kind with a newer one in their stream."""
    newer = aliased(OutboxRow)
    return (
        update(OutboxRow)
        .where(
            OutboxRow.kind.in_(list(kinds)),
            OutboxRow.status.in_((PENDING, FAILED)),
            _not_held(now),
            exists().where(
                newer.kind == OutboxRow.kind,
                newer.destination == OutboxRow.destination,
                newer.key == OutboxRow.key,
                newer.seq > OutboxRow.seq,
            ),
        )
        .values(status=SUPERSEDED)
        .execution_options(synchronize_session=False)
    )


def _heads_due(now: datetime) -> ColumnElement[bool]:
    """Pending, due, and first in its stream: no earlier message of it still pending
    (delivered, failed and superseded ones are ended). A message without a key is a
    stream of its own."""
    earlier = aliased(OutboxRow)
    return (
        (OutboxRow.status == PENDING)
        & (OutboxRow.next_attempt_at <= now)
        & ~exists().where(
            earlier.kind == OutboxRow.kind,
            earlier.destination == OutboxRow.destination,
            earlier.key == OutboxRow.key,
            earlier.seq < OutboxRow.seq,
            earlier.status == PENDING,
        )
    )


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
            status=PENDING,
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
        superseding_kinds: Collection[str] = (),
        on_backlog: BacklogObserver | None = None,
    ) -> None:
        self._sessions = sessions
        self._deliverers = deliverers
        self._clock = clock
        self._poll_interval_s = poll_interval_s
        self._batch_size = batch_size
        self._lease = timedelta(seconds=lease_s)
        # An attempt ends well inside its lease: once the lease is over another relay
        # may take the stream, and a late attempt would arrive after its successors.
        self._attempt_timeout_s = lease_s * 0.8
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._superseding_kinds = frozenset(superseding_kinds)
        self._wakeup = asyncio.Event()
        self._on_backlog = on_backlog

    def wake(self) -> None:
        """New messages were committed: deliver now rather than at the next poll."""
        self._wakeup.set()

    async def run(self) -> None:
        while True:
            try:
                claimed = await self.deliver_due()
                await self.observe_backlog()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox.relay_failed")
                claimed = 0
            if claimed == 0:  # else the next of each stream may be due already
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
        """Claim the head of each stream that is due, deliver them, record each result."""
        messages = await self._claim()
        if not messages:
            return 0
        units = self._units(messages)
        results = await asyncio.gather(*(self._attempt(unit) for unit in units))
        await self._record([m for unit in units for m in unit], [r for rs in results for r in rs])
        return len(messages)

    def _units(self, messages: Sequence[OutboxMessage]) -> list[list[OutboxMessage]]:
        """One call each: chunks of one destination for a batch deliverer, else singles."""
        units: list[list[OutboxMessage]] = []
        chunks: dict[tuple[str, str], list[OutboxMessage]] = {}
        for message in messages:
            deliverer = self._deliverers[message.kind]
            if not isinstance(deliverer, BatchDeliverer):
                units.append([message])
                continue
            chunk = chunks.setdefault((message.kind, message.destination), [])
            chunk.append(message)
            if len(chunk) >= max(1, deliverer.max_batch):
                units.append(chunk)
                chunks[(message.kind, message.destination)] = []
        units.extend(chunk for chunk in chunks.values() if chunk)
        return units

    async def _attempt(self, unit: list[OutboxMessage]) -> list[BaseException | None]:
        """The result of each message of one call; an exception of the call is all of theirs."""
        deliverer = self._deliverers[unit[0].kind]
        try:
            async with asyncio.timeout(self._attempt_timeout_s):
                if isinstance(deliverer, BatchDeliverer):
                    results = await deliverer.deliver_batch(unit)
                    if len(results) != len(unit):
                        raise RetryableDeliveryError(
                            f"{len(results)} results for a batch of {len(unit)}"
                        )
                    return list(results)
                await deliverer(unit[0])
                return [None]
        except Exception as error:  # recorded as the message's result, retried or ended
            return [error] * len(unit)

    async def _claim(self) -> list[OutboxMessage]:
        now = self._clock()
        leased_until = now + self._lease
        async with self._sessions.begin() as session:
            # A write first: besides ending superseded heads, on SQLite it takes the
            # database's write lock, so that claims of relays in other processes
            # follow one another instead of reading the same heads.
            await session.execute(_superseded_heads(self._superseding_kinds, now))
            rows = (
                await session.scalars(
                    select(OutboxRow)
                    .where(_heads_due(now))
                    .order_by(OutboxRow.seq)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            for row in rows:
                # The attempt counts from now: a call cut off by a crash is one the
                # receiver may have seen (the deliveries view shows it).
                row.attempts += 1
                row.leased_until = row.next_attempt_at = leased_until
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
                    leased_until=leased_until,
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
                if row.leased_until != message.leased_until:
                    # The lease ran out and another relay holds the message now: its
                    # result is the one to record.
                    log.warning("outbox.lease_lost", id=str(row.id), kind=row.kind)
                    continue
                row.leased_until = None
                if result is None:
                    row.status, row.delivered_at, row.last_error = DELIVERED, now, None
                    continue
                self._record_failure(row, message, result, now=now)

    def _record_failure(
        self, row: OutboxRow, message: OutboxMessage, result: BaseException, *, now: datetime
    ) -> None:
        if isinstance(result, TimeoutError):
            result = RetryableDeliveryError(f"no answer within {self._attempt_timeout_s:g} s")
        row.last_error = f"{type(result).__name__}: {result}"[:2000]
        if isinstance(result, PermanentDeliveryError):
            row.status = FAILED
            log.error(
                "outbox.failed",
                id=str(row.id),
                kind=row.kind,
                error=row.last_error,
                correlation_id=message.headers.get("correlation-id"),
            )
            return
        delay = backoff_s(row.attempts, base_s=self._backoff_base_s, max_s=self._backoff_max_s)
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
        "status": PENDING,
    }


async def enqueue_all(session: AsyncSession, messages: list[dict[str, object]]) -> None:
    """Many messages in one statement (a batch of assignments), same transaction."""
    if messages:
        await session.execute(insert(OutboxRow), messages)
