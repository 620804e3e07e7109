"""Routing metrics, registered on the app's own registry (built in ``create_app``)."""

import uuid
from collections.abc import Mapping, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from leadrouter_router.routing.engine import Decision


class RoutingMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.assignments = Counter(
            "router_assignments",
            "Leads assigned, by pool and salesperson.",
            ["pool", "salesperson"],
            registry=registry,
        )
        self.decisions = Counter(
            "router_decisions",
            "Routing decisions by outcome (assigned, unassigned, merged).",
            ["outcome"],
            registry=registry,
        )
        self.unassigned = Gauge(
            "router_unassigned_backlog",
            "Leads waiting unassigned for someone to become eligible.",
            registry=registry,
        )
        self.latency = Histogram(
            "router_decision_latency_seconds",
            "Time to decide one lead (the pure engine).",
            buckets=(0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05),
            registry=registry,
        )
        self.open_load = Gauge(
            "router_salesperson_open_leads",
            "Open leads per salesperson.",
            ["salesperson"],
            registry=registry,
        )

    def decided(self, decisions: Sequence[Decision], *, seconds: float) -> None:
        """A batch decided in ``seconds``: each decision its share of the time."""
        for decision in decisions:
            self.latency.observe(seconds / len(decisions))
            self.decisions.labels(outcome=decision.outcome).inc()

    def assigned(self, pool: str | None, salesperson: uuid.UUID) -> None:
        self.assignments.labels(pool=pool or "-", salesperson=str(salesperson)).inc()

    def set_open_load(self, open_leads: Mapping[str, int]) -> None:
        for person, count in open_leads.items():
            self.open_load.labels(salesperson=person).set(count)
