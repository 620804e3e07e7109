"""The ``leads.scored`` consumer: one transaction per batch, offsets after the commit."""

from collections.abc import Callable, Sequence
from datetime import datetime

from aiokafka import ConsumerRecord
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrouter_router.leads.service import route_scored_leads
from leadrouter_runtime.kafka import DeadLetter
from leadrouter_schemas import LeadScored, decode_as


class RouteScoredLeads:
    """Batch handler for :class:`leadrouter_runtime.kafka.BatchConsumer`."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        assigned_topic: str,
        clock: Callable[[], datetime],
        on_committed: Callable[[], None],
    ) -> None:
        self._sessions = sessions
        self._assigned_topic = assigned_topic
        self._clock = clock
        self._on_committed = on_committed

    async def __call__(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[DeadLetter]:
        events: list[LeadScored] = []
        letters: list[DeadLetter] = []
        for record in records:
            try:
                if record.value is None:
                    raise ValueError("empty value (tombstone)")
                events.append(decode_as(record.value, LeadScored))
            except (ValidationError, ValueError) as error:
                letters.append(DeadLetter(record, f"not a LeadScored v1: {error}", "decode"))
        if events:
            async with self._sessions.begin() as session:
                await route_scored_leads(
                    session, events, now=self._clock(), assigned_topic=self._assigned_topic
                )
            self._on_committed()
        return letters
