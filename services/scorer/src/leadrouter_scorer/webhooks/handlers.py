"""The ``webhooks.raw`` consumer: deliveries replayed from the quarantine are mapped
again, exactly as the webhook maps them, without a second signature check (they were
authentic when they came; docs/decisions/0105-quarantine-and-replay.md). Mapped, they
go to ``leads.received`` with the event id the webhook would have given them; still
unmappable, back to the quarantine with the new reason."""

from collections.abc import Sequence
from typing import Any

import structlog
from aiokafka import ConsumerRecord

from leadrouter_runtime.kafka import DeadLetter, OutboundRecord, send_all
from leadrouter_scorer.webhooks import registry
from leadrouter_scorer.webhooks.gateway import IntakeTopics, WebhookGateway
from leadrouter_scorer.webhooks.quarantine import (
    NotADeliveryError,
    delivery_of,
    log_quarantined,
    quarantined,
    retryable,
)
from leadrouter_scorer.webhooks.schemas import Ignored

log = structlog.get_logger(__name__)


class MapRawDeliveries:
    def __init__(self, *, gateway: WebhookGateway, producer: Any, topics: IntakeTopics) -> None:
        self._gateway = gateway
        self._producer = producer
        self._topics = topics

    async def __call__(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[DeadLetter]:
        """Raises (and the batch comes again) only when a platform's API or Kafka fails."""
        out: list[OutboundRecord] = []
        letters: list[DeadLetter] = []
        outcomes: list[tuple[str, str]] = []
        for record in records:
            try:
                delivery = delivery_of(record.value, list(record.headers or ()))
            except NotADeliveryError as error:
                letters.append(DeadLetter(record, str(error), type(error).__name__))
                continue
            try:
                mapped = await registry.submissions(delivery, self._gateway)
                if isinstance(mapped, Ignored):
                    continue
                planned = self._gateway.plan(delivery, mapped, topic=self._topics.received)
            except Exception as error:
                if retryable(error):
                    raise
                reason, quarantine = quarantined(
                    delivery,
                    error,
                    quarantine_topic=self._topics.quarantine,
                    raw_topic=self._topics.raw,
                )
                out.append(quarantine)
                outcomes.append((delivery.source, "quarantined"))
                log_quarantined("webhook.requarantined", delivery, reason)
                continue
            out.extend(planned.records())
            outcomes.append((delivery.source, "accepted"))
            for lead in planned.leads:
                log.info(
                    "webhook.remapped",
                    source=delivery.source,
                    lead_key=lead.lead_key,
                    event_id=str(lead.event_id),
                    correlation_id=lead.correlation_id,
                )
        await send_all(self._producer, out)
        for source, outcome in outcomes:  # counted once stored (a failed batch comes again)
            self._gateway.metrics.remapped.labels(source=source, outcome=outcome).inc()
        return letters
