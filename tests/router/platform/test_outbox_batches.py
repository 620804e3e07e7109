"""A deliverer with ``deliver_batch`` gets the claimed heads of one destination in
chunks of ``max_batch``, one result per message; a deliverer without it gets one call
per message as before (both databases)."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrouter_router import models  # noqa: F401  (the complete metadata)
from leadrouter_router.platform.outbox import (
    DELIVERED,
    FAILED,
    PENDING,
    OutboxMessage,
    OutboxRow,
    PermanentDeliveryError,
    RetryableDeliveryError,
    enqueue,
)
from tests.router.platform.support import now, relay_of


@dataclass
class BatchReceiver:
    """Takes chunks; refuses for good the payloads named ``bad``, asks again later for
    ``later``, takes the rest."""

    max_batch: int = 3
    chunks: list[list[str]] = field(default_factory=list)
    singles: list[str] = field(default_factory=list)

    async def __call__(self, message: OutboxMessage) -> None:
        self.singles.append(message.payload)

    async def deliver_batch(self, messages: Sequence[OutboxMessage]) -> list[BaseException | None]:
        self.chunks.append([m.destination + "/" + m.payload for m in messages])
        return [
            PermanentDeliveryError("refused")
            if m.payload == "bad"
            else RetryableDeliveryError("later")
            if m.payload == "later"
            else None
            for m in messages
        ]


@dataclass
class SingleReceiver:
    taken: list[str] = field(default_factory=list)

    async def __call__(self, message: OutboxMessage) -> None:
        self.taken.append(message.payload)


async def test_batch_deliverer_gets_chunks_per_destination_and_each_result_recorded(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    batches, singles = BatchReceiver(), SingleReceiver()
    relay = relay_of(
        sessions, {"crm": batches, "webhook": singles}, batch_size=100, backoff_s=(60, 60)
    )
    payloads = {"hubspot": ["a", "bad", "b", "later", "c"], "salesforce": ["d", "e"]}
    async with sessions.begin() as session:
        for destination, names in payloads.items():
            for n, name in enumerate(names):
                enqueue(
                    session,
                    kind="crm",
                    destination=destination,
                    key=f"{destination}-{n}",
                    payload=name,
                    idempotency_key=f"{destination}-{n}",
                    now=now(),
                )
        for n in range(2):
            enqueue(
                session,
                kind="webhook",
                destination="manager",
                key=f"w{n}",
                payload=f"w{n}",
                idempotency_key=f"w{n}",
                now=now(),
            )
    assert await relay.deliver_due() == 9
    async with sessions() as session:
        rows = (await session.scalars(select(OutboxRow))).all()

    assert sorted(batches.chunks) == [
        ["hubspot/a", "hubspot/bad", "hubspot/b"],
        ["hubspot/later", "hubspot/c"],
        ["salesforce/d", "salesforce/e"],
    ]
    assert batches.singles == []
    assert sorted(singles.taken) == ["w0", "w1"]
    status = {row.payload: (row.status, row.attempts) for row in rows}
    assert status == {
        "a": (DELIVERED, 1),
        "bad": (FAILED, 1),
        "b": (DELIVERED, 1),
        "later": (PENDING, 1),
        "c": (DELIVERED, 1),
        "d": (DELIVERED, 1),
        "e": (DELIVERED, 1),
        "w0": (DELIVERED, 1),
        "w1": (DELIVERED, 1),
    }
    refused = next(row for row in rows if row.payload == "bad")
    assert refused.last_error == "PermanentDeliveryError: refused"
