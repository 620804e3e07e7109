"""Delivers outbox messages of kind ``kafka``: the destination is the topic."""

from typing import Any

from aiokafka.errors import KafkaError

from leadrouter_router.platform.outbox import OutboxMessage, RetryableDeliveryError
from leadrouter_runtime.kafka_metrics import ProducerMetrics

KAFKA_KIND = "kafka"
"""The outbox kind of a message to a topic."""


class KafkaDeliverer:
    def __init__(self, producer: Any, *, metrics: ProducerMetrics | None = None) -> None:
        self._producer = producer
        self._metrics = metrics

    async def __call__(self, message: OutboxMessage) -> None:
        try:
            sent = await self._producer.send_and_wait(
                message.destination,
                value=message.payload.encode(),
                key=message.key.encode() if message.key else None,
                headers=[(name, value.encode()) for name, value in message.headers.items()],
            )
        except KafkaError as error:
            raise RetryableDeliveryError(f"Kafka did not acknowledge: {error!r}") from error
        if self._metrics is not None:
            self._metrics.acknowledged([sent])
