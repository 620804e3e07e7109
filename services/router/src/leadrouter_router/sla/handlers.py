"""The periodic service-level check (the timers are rows: a restart loses nothing);
the app runs ``run_once`` as a :class:`leadrouter_runtime.periodic.PeriodicTask`."""

from collections.abc import Callable
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrouter_router.outcomes.metrics import OutcomeMetrics
from leadrouter_router.routing.metrics import RoutingMetrics
from leadrouter_router.sla.service import Checked, act_on_breaches, arm_deadlines

log = structlog.get_logger(__name__)


class CheckServiceLevels:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        assigned_topic: str,
        clock: Callable[[], datetime],
        on_committed: Callable[[], None],
        batch_size: int,
        notify_manager: bool,
        metrics: OutcomeMetrics | None = None,
        routing_metrics: RoutingMetrics | None = None,
    ) -> None:
        self._sessions = sessions
        self._assigned_topic = assigned_topic
        self._clock = clock
        self._on_committed = on_committed
        self._batch_size = batch_size
        self._notify_manager = notify_manager
        self._metrics = metrics
        self._routing_metrics = routing_metrics

    async def run_once(self, now: datetime | None = None) -> Checked:
        """One pass at ``now`` (default: the clock): set new deadlines, act on missed ones."""
        at = now or self._clock()
        async with self._sessions.begin() as session:
            armed = await arm_deadlines(session, limit=self._batch_size)
        async with self._sessions.begin() as session:
            breached = await act_on_breaches(
                session,
                now=at,
                assigned_topic=self._assigned_topic,
                limit=self._batch_size,
                notify_manager=self._notify_manager,
                metrics=self._metrics,
                routing_metrics=self._routing_metrics,
            )
        if breached:
            self._on_committed()
            log.info("sla.checked", armed=armed, breached=breached)
        return Checked(armed=armed, breached=breached)
