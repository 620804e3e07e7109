"""Outcome and service-level metrics, on the app's own registry (built in ``create_app``)."""

from prometheus_client import CollectorRegistry, Counter


class OutcomeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.outcomes = Counter(
            "router_outcomes",
            "CRM callbacks recorded, by outcome (accepted, rejected, contacted, won, ...).",
            ["outcome"],
            registry=registry,
        )
        self.sla_breaches = Counter(
            "router_sla_breaches",
            "Assignments that missed their service level, by target (accept, first_touch).",
            ["target"],
            registry=registry,
        )
        self.reassignments = Counter(
            "router_reassignments",
            "Leads routed again, by why (rejected, sla_accept, sla_first_touch) and result"
            " (assigned, unassigned).",
            ["reason", "result"],
            registry=registry,
        )
