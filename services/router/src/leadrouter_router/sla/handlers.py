"""The periodic service-level check (the timers are rows: a restart loses nothing);
the app runs ``run_once`` as a :class:`leadrouter_runtime.periodic.PeriodicTask`."""

from dataclasses import dataclass
from datetime import datetime

import structlog

from leadrouter_router.outcomes.metrics import OutcomeMetrics
from leadrouter_router.routing.handlers import Assigning
from leadrouter_router.routing.metrics import RoutingMetrics
from leadrouter_router.sla.service import Checked, act_on_breaches, arm_deadlines

log = structlog.get_logger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckServiceLevels(Assigning):
    batch_size: int
    notify_manager: bool
    metrics: OutcomeMetrics | None = None
    routing_metrics: RoutingMetrics | None = None

    async def run_once(self, now: datetime | None = None) -> Checked:
        """One pass at ``now`` (default: the clock): set new deadlines, act on missed ones."""
        at = now or self.clock()
        async with self.sessions.begin() as session:
            armed = await arm_deadlines(session, limit=self.batch_size)
        async with self.sessions.begin() as session:
            breached = await act_on_breaches(
                session,
                now=at,
                assigned_topic=self.assigned_topic,
                limit=self.batch_size,
                notify_manager=self.notify_manager,
                metrics=self.metrics,
                routing_metrics=self.routing_metrics,
            )
        if breached:
            self.on_committed()
            log.info("sla.checked", armed=armed, breached=breached)
        return Checked(armed=armed, breached=breached)
