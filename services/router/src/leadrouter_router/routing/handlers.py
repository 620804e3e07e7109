"""The ``leads.scored`` consumer: one transaction per batch, offsets after the commit;
and the periodic re-check of leads that wait unassigned."""

from collections.abc import Callable, Sequence
from datetime import datetime

import structlog
from aiokafka import ConsumerRecord
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrouter_router.routing.metrics import RoutingMetrics
from leadrouter_router.routing.service import reroute_unassigned, route_scored_leads
from leadrouter_router.routing.snapshot import ConfigurationCache
from leadrouter_runtime.kafka import DeadLetter
from leadrouter_schemas import LeadScored, decode_as

log = structlog.get_logger(__name__)


class RouteScoredLeads:
    """Batch handler for :class:`leadrouter_runtime.kafka.BatchConsumer`.

    Keeps the routing configuration between batches; every batch checks it against
    the database first, so a change made anywhere is seen by the next batch."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        assigned_topic: str,
        clock: Callable[[], datetime],
        on_committed: Callable[[], None],
        metrics: RoutingMetrics | None = None,
        configurations: ConfigurationCache | None = None,
    ) -> None:
        self._sessions = sessions
        self._assigned_topic = assigned_topic
        self._clock = clock
        self._on_committed = on_committed
        self._metrics = metrics
        self.configurations = configurations or ConfigurationCache()

    async def __call__(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[DeadLetter]:
        events: list[LeadScored] = []
        letters: list[DeadLetter] = []
        for record in records:
            if record.value is None:
                letters.append(DeadLetter.undecodable(record, None, model=LeadScored))
                continue
            try:
                events.append(decode_as(record.value, LeadScored))
            except ValidationError as error:
                letters.append(DeadLetter.undecodable(record, error, model=LeadScored))
        if events:
            async with self._sessions.begin() as session:
                await route_scored_leads(
                    session,
                    events,
                    now=self._clock(),
                    assigned_topic=self._assigned_topic,
                    metrics=self._metrics,
                    configurations=self.configurations,
                )
            self._on_committed()
        return letters


class RecheckUnassigned:
    """Tries the leads that wait unassigned, run periodically by the app (the state is
    data: a restart loses nothing, and the next run picks them up)."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        assigned_topic: str,
        clock: Callable[[], datetime],
        on_committed: Callable[[], None],
        batch_size: int,
        metrics: RoutingMetrics | None = None,
    ) -> None:
        self._sessions = sessions
        self._assigned_topic = assigned_topic
        self._clock = clock
        self._on_committed = on_committed
        self._batch_size = batch_size
        self._metrics = metrics

    async def run_once(self) -> int:
        async with self._sessions.begin() as session:
            routed = await reroute_unassigned(
                session,
                now=self._clock(),
                assigned_topic=self._assigned_topic,
                limit=self._batch_size,
                metrics=self._metrics,
            )
        if routed:
            self._on_committed()
            log.info("routing.unassigned_rechecked", assigned=len(routed))
        return len(routed)
