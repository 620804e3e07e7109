"""The ``leads.scored`` consumer: one transaction per batch, offsets after the commit;
and the periodic re-check of leads that wait unassigned."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import structlog
from aiokafka import ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrouter_router.routing.metrics import RoutingMetrics
from leadrouter_router.routing.service import reroute_unassigned, route_scored_leads
from leadrouter_router.routing.snapshot import ConfigurationCache
from leadrouter_runtime.clock import Clock
from leadrouter_runtime.kafka import DeadLetter, decode_all
from leadrouter_schemas import LeadScored

log = structlog.get_logger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class Assigning:
    """What a worker that assigns leads works with: its transactions, the topic the
    assignments are announced on, the clock, and whom to tell once they are committed
    (the outbox relay's wake-up)."""

    sessions: async_sessionmaker[AsyncSession]
    assigned_topic: str
    clock: Clock
    on_committed: Callable[[], None]


@dataclass(frozen=True, kw_only=True, slots=True)
class RouteScoredLeads(Assigning):
    """Batch handler for :class:`leadrouter_runtime.kafka.BatchConsumer`.

    Keeps the routing configuration between batches; every batch checks it against
    the database first, so a change made anywhere is seen by the next batch."""

    metrics: RoutingMetrics | None = None
    configurations: ConfigurationCache = field(default_factory=ConfigurationCache)

    async def __call__(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[DeadLetter]:
        events, letters = decode_all(records, LeadScored)
        if events:
            async with self.sessions.begin() as session:
                await route_scored_leads(
                    session,
                    events,
                    now=self.clock(),
                    assigned_topic=self.assigned_topic,
                    metrics=self.metrics,
                    configurations=self.configurations,
                )
            self.on_committed()
        return letters


@dataclass(frozen=True, kw_only=True, slots=True)
class RecheckUnassigned(Assigning):
    """Tries the leads that wait unassigned, run periodically by the app (the state is
    data: a restart loses nothing, and the next run picks them up)."""

    batch_size: int
    metrics: RoutingMetrics | None = None

    async def run_once(self) -> int:
        async with self.sessions.begin() as session:
            routed = await reroute_unassigned(
                session,
                now=self.clock(),
                assigned_topic=self.assigned_topic,
                limit=self.batch_size,
                metrics=self.metrics,
            )
        if routed:
            self.on_committed()
            log.info("routing.unassigned_rechecked", assigned=len(routed))
        return len(routed)
