"""CRM delivery metrics on the router's registry: results by CRM, the outbox backlog,
and the lead's time from the webhook to the CRM."""

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from leadrouter_router.platform.outbox import Backlog

OUTBOX_KINDS = ("crm", "kafka")
# Seconds to minutes: a lead flows through in about a second; a CRM that is down
# for a while, or a lead waiting unassigned, takes minutes to hours.
WEBHOOK_TO_CRM_BUCKETS = (0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


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
        self.webhook_to_crm = Histogram(
            "router_lead_webhook_to_crm_seconds",
            "From the scorer's webhook receiving the lead (the lead's received_at, set by "
            "the webhook) to the CRM acknowledging the first delivery of its assignment, "
            "by CRM. A re-routing is a new assignment; leads that came through no "
            "webhook are not observed.",
            ["crm"],
            buckets=WEBHOOK_TO_CRM_BUCKETS,
            registry=registry,
        )

    def delivered(self, crm: str, result: str) -> None:
        self.deliveries.labels(crm=crm, result=result).inc()

    def reached_crm(self, crm: str, seconds: float) -> None:
        self.webhook_to_crm.labels(crm=crm).observe(max(0.0, seconds))

    def observe_backlog(self, backlog: Mapping[str, Backlog]) -> None:
        for kind in {*OUTBOX_KINDS, *backlog}:
            entry = backlog.get(kind, Backlog(pending=0, oldest_age_s=0.0))
            self.backlog.labels(kind=kind).set(entry.pending)
            self.oldest_age.labels(kind=kind).set(entry.oldest_age_s)
