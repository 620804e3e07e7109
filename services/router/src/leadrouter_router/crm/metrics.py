"""CRM delivery metrics on the router's registry: results by CRM, and the outbox backlog."""

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge

from leadrouter_router.platform.outbox import Backlog

OUTBOX_KINDS = ("crm", "kafka")


class DeliveryMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.deliveries = Counter(
            "router_crm_deliveries",
            "CRM delivery attempts by CRM and result (delivered, retried, failed).",
            ["crm", "result"],
            registry=registry,
        )
        self.backlog = Gauge(
            "router_outbox_backlog",
            "Outbox messages waiting to be delivered, by kind (crm, kafka).",
            ["kind"],
            registry=registry,
        )
        self.oldest_age = Gauge(
            "router_outbox_oldest_pending_age_seconds",
            "How long the oldest pending outbox message has waited, by kind.",
            ["kind"],
            registry=registry,
        )

    def delivered(self, crm: str, result: str) -> None:
        self.deliveries.labels(crm=crm, result=result).inc()

    def observe_backlog(self, backlog: Mapping[str, Backlog]) -> None:
        for kind in {*OUTBOX_KINDS, *backlog}:
            entry = backlog.get(kind, Backlog(pending=0, oldest_age_s=0.0))
            self.backlog.labels(kind=kind).set(entry.pending)
            self.oldest_age.labels(kind=kind).set(entry.oldest_age_s)
