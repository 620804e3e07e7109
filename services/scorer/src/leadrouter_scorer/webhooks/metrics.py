"""What ops see of the webhooks at ``GET /metrics``."""

from collections.abc import Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram


class WebhookMetrics:
    def __init__(self, registry: CollectorRegistry, *, sources: Sequence[str] = ()) -> None:
        self.requests = Counter(
            "scorer_webhook_requests",
            "Webhook requests answered, by source and HTTP status.",
            ["source", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "scorer_webhook_request_duration_seconds",
            "Time to answer a webhook request (including the Kafka acknowledgement).",
            ["source"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=registry,
        )
        self.broker_unreachable = Counter(
            "scorer_webhook_publish_failures",
            "Publications to leads.received that failed or ran over the publish budget "
            "(a failure, or running over it while no other was acknowledged, marks Kafka "
            "unreachable for broker_down_retry_after_s).",
            registry=registry,
        )

        self.quarantined = Counter(
            "scorer_webhook_quarantined",
            "Authentic webhook requests that could not be mapped, kept raw on the quarantine "
            "topic (webhooks.raw.dlq), by source.",
            ["source"],
            registry=registry,
        )
        self.remapped = Counter(
            "scorer_webhook_remapped",
            "Deliveries of webhooks.raw (replayed from the quarantine) mapped again, by source "
            "and outcome (accepted, quarantined).",
            ["source", "outcome"],
            registry=registry,
        )
        for source in sources:
            # Exported as 0 from the start: an alert on increase() needs the series.
            self.quarantined.labels(source=source)
            for outcome in ("accepted", "quarantined"):
                self.remapped.labels(source=source, outcome=outcome)

        # Each request's series, looked up once: ``labels()`` takes a lock and builds
        # the key on every call (sources and statuses are bounded sets).
        self._series: dict[tuple[str, int], tuple[Any, Any]] = {}

    def observe(self, *, source: str, status: int, seconds: float) -> None:
        series = self._series.get((source, status))
        if series is None:
            series = (
                self.requests.labels(source=source, status=str(status)),
                self.latency.labels(source=source),
            )
            self._series[source, status] = series
        requests, latency = series
        requests.inc()
        latency.observe(seconds)
