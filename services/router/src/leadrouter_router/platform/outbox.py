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
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

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
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, aliased, mapped_column

from leadrouter_router.platform.circuit import ChangeObserver, CircuitPolicy, Circuits, Destination
from leadrouter_router.platform.db import Base
from leadrouter_runtime.periodic import Next, PeriodicMetrics, PeriodicTask

log = structlog.get_logger(__name__)


RECORD_LINGER_S = 0.1
"""How long a recording waits for the other calls in flight to end (:class:`OutboxRelay`)."""

PENDING = "pending"
_PENDING: ColumnElement[str] = literal_column(f"'{PENDING}'")
"""Written into the statement, not bound: a prepared statement's generic plan can use
the partial index on pending messages only when the predicate is in its text."""
DELIVERED = "delivered"
FAILED = "failed"
SUPERSEDED = "superseded"


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_stream", "kind", "destination", "key", "seq"),
        # The pending messages in written order: a claim walks them oldest first and
        # stops at its limit, and the backlog is counted from them, instead of reading
        # every pending row each time (migration 0011).
        Index(
            "ix_outbox_pending_seq",
            "seq",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

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
            .where(OutboxRow.status == _PENDING)
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


# Made once: an alias built per claim cost more CPU than the claim's own statements.
_NEWER = aliased(OutboxRow, name="newer")
_EARLIER = aliased(OutboxRow, name="earlier")


def _superseded_heads(kinds: Collection[str], now: datetime) -> Update:
    """Undelivered messages of a superseding kind with a newer one in their stream."""
    newer = _NEWER
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
    earlier = _EARLIER
    return (
        (OutboxRow.status == _PENDING)
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


@dataclass(frozen=True, slots=True)
class _Unit:
    """One call to a deliverer: one message, or a chunk of one destination."""

    messages: list[OutboxMessage]
    probe: bool = False

    @property
    def destination(self) -> Destination:
        return (self.messages[0].kind, self.messages[0].destination)


@dataclass(frozen=True, slots=True)
class _Schedule:
    """What a recording writes: the rows ended as delivered, ended as failed, and
    retried (with their errors and next attempts), each under the lease claimed."""

    delivered: list[OutboxMessage]
    failed: list[tuple[OutboxMessage, str]]  # the error
    retried: list[tuple[OutboxMessage, str, datetime]]  # the error, the next attempt


class OutboxRelay:
    """Claims due stream heads and delivers them, keeping at most ``batch_size`` in
    flight: each call's results are recorded as soon as it ends (with the other calls
    that ended meanwhile, in one transaction), and the next claim does not wait for
    the slowest call. Claiming and recording each take a fixed number of statements
    whatever the number of messages (multi-row ``UPDATE ... RETURNING``)."""

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
        circuit: CircuitPolicy | None = None,
        on_circuit: ChangeObserver | None = None,
        periodic_metrics: PeriodicMetrics | None = None,
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
        self._on_backlog = on_backlog
        self.circuits = Circuits(policy=circuit or CircuitPolicy(), on_change=on_circuit)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._in_flight_messages = 0
        self._ended: list[tuple[_Unit, list[BaseException | None]]] = []
        self._unit_ended = asyncio.Event()
        self._recording = False
        self._closed: set[Destination] = set()  # circuits closed since the last recording
        self._backlog_observed_at = float("-inf")
        self._recorded_since_observed = False
        self._probe_wake: asyncio.TimerHandle | None = None
        self._loop = PeriodicTask(
            "outbox-relay", self._cycle, interval_s=poll_interval_s, metrics=periodic_metrics
        )

    @property
    def name(self) -> str:
        return self._loop.name

    def wake(self) -> None:
        """New messages were committed: deliver now rather than at the next poll."""
        self._loop.wake()

    def stop(self) -> None:
        """Ask :meth:`run` to return after the cycle under way."""
        self._loop.stop()

    async def run(self) -> None:
        """Claim and start deliveries in cycles until stopped (or cancelled); results
        are recorded as the calls end. What is in flight at the end is delivered again
        after its lease (at least once)."""
        try:
            await self._loop.run()
        finally:
            for task in self._in_flight:
                task.cancel()
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _cycle(self) -> Next | None:
        started = await self.start_due()
        idle = not started and not self._in_flight_messages and not self._recording
        await self._observe_backlog_now_and_then(idle=idle)
        probe_in = self.circuits.seconds_to_next_probe()
        if probe_in is not None:
            if self._probe_wake is not None:
                self._probe_wake.cancel()
            self._probe_wake = asyncio.get_running_loop().call_later(probe_in, self.wake)
        # More may be due already (the next of each stream); else a commit, a recorded
        # result (successors, room in flight) or a probe wakes the loop.
        return Next.NOW if started and self._in_flight_messages < self._batch_size else None

    async def _observe_backlog_now_and_then(self, *, idle: bool) -> None:
        """Once a poll interval, and as soon as the relay is ``idle`` (nothing claimed,
        nothing in flight) after results were recorded: the gauge reads 0 once the last
        delivery is recorded, without a count of the table after every recording while
        deliveries go on (a query per batch under load)."""
        moment = asyncio.get_running_loop().time()
        if (self._recorded_since_observed and idle) or (
            moment - self._backlog_observed_at >= self._poll_interval_s
        ):
            self._backlog_observed_at, self._recorded_since_observed = moment, False
            await self.observe_backlog()

    async def observe_backlog(self) -> None:
        """Tell the observer (the metrics) what is still pending, by kind."""
        if self._on_backlog is None:
            return
        async with self._sessions() as session:
            self._on_backlog(await backlog(session, now=self._clock()))

    async def deliver_due(self) -> int:
        """One round: claim what is due, deliver it, record every result; the number
        of messages claimed."""
        started = await self.start_due()
        await asyncio.gather(*self._in_flight)
        return started

    async def start_due(self) -> int:
        """Claim the due heads (and one probe per open circuit whose probe is due) up to
        the room left in flight, and start delivering them; the number claimed."""
        room = self._batch_size - self._in_flight_messages
        if room <= 0:
            return 0
        units = self._units(await self._claim(room, skip=self.circuits.open_destinations()))
        for destination in self.circuits.probes_due():
            claimed: list[OutboxMessage] = []
            try:
                claimed = await self._claim(1, only=destination)
            finally:
                if not claimed:  # none due, or the claim failed: the next probe later
                    self.circuits.probed(destination)
            if claimed:
                units.append(_Unit(claimed, probe=True))
        for unit in units:
            self._in_flight_messages += len(unit.messages)
            task = asyncio.create_task(self._deliver(unit))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return sum(len(unit.messages) for unit in units)

    def _units(self, messages: Sequence[OutboxMessage]) -> list[_Unit]:
        """One call each: chunks of one destination for a batch deliverer, else singles."""
        units: list[_Unit] = []
        chunks: dict[Destination, list[OutboxMessage]] = {}
        for message in messages:
            deliverer = self._deliverers[message.kind]
            if not isinstance(deliverer, BatchDeliverer):
                units.append(_Unit([message]))
                continue
            chunk = chunks.setdefault((message.kind, message.destination), [])
            chunk.append(message)
            if len(chunk) >= max(1, deliverer.max_batch):
                units.append(_Unit(chunk))
                chunks[(message.kind, message.destination)] = []
        units.extend(_Unit(chunk) for chunk in chunks.values() if chunk)
        return units

    async def _deliver(self, unit: _Unit) -> None:
        results = await self._attempt(unit.messages)
        self._count_in_circuit(unit.destination, results)
        if unit.probe:
            self.circuits.probed(unit.destination)
        self._ended.append((unit, results))  # not before the await: a recording swaps the list
        self._in_flight_messages -= len(unit.messages)
        self._unit_ended.set()
        if self._recording:
            return  # the recording under way takes these results next
        self._recording = True
        try:
            await self._gather_results()
            while self._ended:
                await self._record_ended()
        except Exception:
            # Unrecorded results are retried after their lease (at least once).
            log.exception("outbox.record_failed")
        finally:
            self._recording = False

    async def _gather_results(self) -> None:
        """Wait a little for the other calls in flight: those of one claim (the CRM's and
        Kafka's) end within milliseconds of one another, and recorded together they cost
        one transaction and one claim after it instead of one each. A slow call holds
        the others' results ``RECORD_LINGER_S`` at most."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(RECORD_LINGER_S):
                while self._in_flight_messages:
                    self._unit_ended.clear()
                    await self._unit_ended.wait()

    async def _attempt(self, messages: list[OutboxMessage]) -> list[BaseException | None]:
        """The result of each message of one call; an exception of the call is all of theirs."""
        deliverer = self._deliverers[messages[0].kind]
        try:
            async with asyncio.timeout(self._attempt_timeout_s):
                if isinstance(deliverer, BatchDeliverer):
                    results = await deliverer.deliver_batch(messages)
                    if len(results) != len(messages):
                        raise RetryableDeliveryError(
                            f"{len(results)} results for a batch of {len(messages)}"
                        )
                    return list(results)
                await deliverer(messages[0])
                return [None]
        except Exception as error:  # recorded as the message's result, retried or ended
            return [error] * len(messages)

    async def _record_ended(self) -> None:
        """Record every result that ended since the last recording, in one transaction."""
        ended, self._ended = self._ended, []
        if not ended:
            return
        closed, self._closed = self._closed, set()
        now = self._clock()
        schedule = self._schedule(ended, now=now)
        async with self._sessions.begin() as session:
            recorded = await _write(session, schedule, now=now)
            for kind, destination in closed:
                # The receiver is back: what waited for it is due now, not at the end
                # of the back-off each message had before the circuit opened.
                await session.execute(_due_again(kind, destination, now))
        lost = {m.id for unit, _ in ended for m in unit.messages} - recorded
        for message_id in lost:
            # The lease ran out and another relay holds the message now: its result
            # is the one to record.
            log.warning("outbox.lease_lost", id=str(message_id))
        self._recorded_since_observed = True
        self.wake()  # the successors of what was recorded may be due, and there is room

    def _count_in_circuit(
        self, destination: Destination, results: list[BaseException | None]
    ) -> None:
        """At once, not when recorded: the next claim already skips an open circuit."""
        for result in results:
            if result is None or isinstance(result, PermanentDeliveryError):  # it answered
                if self.circuits.succeeded(destination):
                    self._closed.add(destination)
            elif not _rate_signal(result):
                self.circuits.failed(destination)

    def _schedule(
        self, ended: list[tuple[_Unit, list[BaseException | None]]], *, now: datetime
    ) -> _Schedule:
        schedule = _Schedule(delivered=[], failed=[], retried=[])
        for unit, results in ended:
            gated = self.circuits.is_open(unit.destination)
            for message, result in zip(unit.messages, results, strict=True):
                if result is None:
                    schedule.delivered.append(message)
                elif isinstance(result, PermanentDeliveryError):
                    schedule.failed.append((message, self._failed(message, result)))
                else:
                    gated_now = gated and not _rate_signal(result)
                    error, due = self._retried(message, result, now, gated=gated_now)
                    schedule.retried.append((message, error, due))
        return schedule

    def _failed(self, message: OutboxMessage, result: PermanentDeliveryError) -> str:
        error = _error_text(result)
        log.error(
            "outbox.failed",
            id=str(message.id),
            kind=message.kind,
            error=error,
            correlation_id=message.headers.get("correlation-id"),
        )
        return error

    def _retried(
        self, message: OutboxMessage, result: BaseException, now: datetime, *, gated: bool
    ) -> tuple[str, datetime]:
        if isinstance(result, TimeoutError):
            result = RetryableDeliveryError(f"no answer within {self._attempt_timeout_s:g} s")
        error = _error_text(result)
        if gated:
            # Its circuit is open: the message waits for the probe, not for a back-off.
            return error, now
        delay = backoff_s(message.attempts, base_s=self._backoff_base_s, max_s=self._backoff_max_s)
        if isinstance(result, RetryableDeliveryError) and result.retry_after_s is not None:
            delay = max(delay, result.retry_after_s)
        log.warning(
            "outbox.retry_scheduled",
            id=str(message.id),
            kind=message.kind,
            attempts=message.attempts,
            delay_s=round(delay, 2),
            error=error,
            correlation_id=message.headers.get("correlation-id"),
        )
        return error, now + timedelta(seconds=delay)

    async def _claim(
        self,
        limit: int,
        *,
        skip: Collection[Destination] = (),
        only: Destination | None = None,
    ) -> list[OutboxMessage]:
        """Lease up to ``limit`` due heads, oldest first: one ``UPDATE ... RETURNING``
        (after the one that ends superseded heads)."""
        now = self._clock()
        leased_until = now + self._lease
        heads = select(OutboxRow.id).where(_heads_due(now)).order_by(OutboxRow.seq).limit(limit)
        if only is not None:
            heads = heads.where(OutboxRow.kind == only[0], OutboxRow.destination == only[1])
        if skip:
            heads = heads.where(
                ~or_(*(and_(OutboxRow.kind == k, OutboxRow.destination == d) for k, d in skip))
            )
        async with self._sessions.begin() as session:
            # A write first: besides ending superseded heads, on SQLite it takes the
            # database's write lock, so that claims of relays in other processes
            # follow one another instead of reading the same heads.
            await session.execute(_superseded_heads(self._superseding_kinds, now))
            rows = (
                await session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id.in_(heads.with_for_update(skip_locked=True)))
                    # The attempt counts from now: a call cut off by a crash is one the
                    # receiver may have seen (the deliveries view shows it).
                    .values(
                        attempts=OutboxRow.attempts + 1,
                        leased_until=leased_until,
                        next_attempt_at=leased_until,
                    )
                    .returning(*_MESSAGE_COLUMNS)
                    .execution_options(synchronize_session=False)
                )
            ).all()
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
            for row in sorted(rows, key=lambda row: row.seq)
        ]


_MESSAGE_COLUMNS = (
    OutboxRow.id,
    OutboxRow.seq,
    OutboxRow.kind,
    OutboxRow.destination,
    OutboxRow.key,
    OutboxRow.payload,
    OutboxRow.headers,
    OutboxRow.idempotency_key,
    OutboxRow.attempts,
)


def _rate_signal(result: BaseException | None) -> bool:
    return isinstance(result, RetryableDeliveryError) and result.rate_limited


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _leased(messages: Iterable[OutboxMessage]) -> ColumnElement[bool]:
    """These rows, each still under the lease it was claimed with (else another relay
    holds it now and its result is the one to record)."""
    by_lease: dict[datetime | None, list[uuid.UUID]] = {}
    for message in messages:
        by_lease.setdefault(message.leased_until, []).append(message.id)
    return or_(
        *(
            and_(OutboxRow.id.in_(ids), OutboxRow.leased_until == lease)
            for lease, ids in by_lease.items()
        )
    )


def _per_row(values: Mapping[uuid.UUID, object], column: Any) -> ColumnElement[Any]:
    """One value per row in one statement: ``CASE id WHEN ... THEN ... END``."""
    return case(
        {message_id: literal(value, column.type) for message_id, value in values.items()},
        value=OutboxRow.id,
        else_=column,
    )


async def _write(session: AsyncSession, schedule: _Schedule, *, now: datetime) -> set[uuid.UUID]:
    """At most three statements, whatever the number of messages; the ids recorded."""
    statements: list[Update] = []
    if schedule.delivered:
        statements.append(
            update(OutboxRow)
            .where(_leased(schedule.delivered))
            .values(status=DELIVERED, delivered_at=now, last_error=None, leased_until=None)
        )
    if schedule.failed:
        statements.append(
            update(OutboxRow)
            .where(_leased(m for m, _ in schedule.failed))
            .values(
                status=FAILED,
                leased_until=None,
                last_error=_per_row({m.id: e for m, e in schedule.failed}, OutboxRow.last_error),
            )
        )
    if schedule.retried:
        statements.append(
            update(OutboxRow)
            .where(_leased(m for m, _, _ in schedule.retried))
            .values(
                leased_until=None,
                last_error=_per_row(
                    {m.id: e for m, e, _ in schedule.retried}, OutboxRow.last_error
                ),
                next_attempt_at=_per_row(
                    {m.id: due for m, _, due in schedule.retried}, OutboxRow.next_attempt_at
                ),
            )
        )
    recorded: set[uuid.UUID] = set()
    for statement in statements:
        result = await session.execute(
            statement.returning(OutboxRow.id).execution_options(synchronize_session=False)
        )
        recorded.update(result.scalars())
    return recorded


def _due_again(kind: str, destination: str, now: datetime) -> Update:
    """The destination's waiting messages due now (its circuit just closed)."""
    return (
        update(OutboxRow)
        .where(
            OutboxRow.kind == kind,
            OutboxRow.destination == destination,
            OutboxRow.status == PENDING,
            OutboxRow.next_attempt_at > now,
            _not_held(now),
        )
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
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
