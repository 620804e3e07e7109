"""Delivers outbox messages of kind ``kafka``: the destination is the topic.

A batch is produced whole before any acknowledgement is awaited, so that its records
share the producer's batches and requests instead of each waiting out its own (the
relay claims only stream heads: one record per key in a batch, the key's order holds).
"""

from collections.abc import Sequence
from typing import Any

from aiokafka.errors import KafkaError

from leadrouter_router.platform.outbox import OutboxMessage, RetryableDeliveryError
from leadrouter_runtime.kafka_metrics import ProducerMetrics

KAFKA_KIND = "kafka"
"""The outbox kind of a message to a topic."""


class KafkaDeliverer:
    max_batch = 500  # records in flight at once per call (the producer's buffer bounds them too)

    def __init__(self, producer: Any, *, metrics: ProducerMetrics | None = None) -> None:
        self._producer = producer
        self._metrics = metrics

    async def __call__(self, message: OutboxMessage) -> None:
        [result] = await self.deliver_batch([message])
        if result is not None:
            raise result

    async def deliver_batch(self, messages: Sequence[OutboxMessage]) -> list[BaseException | None]:
        pending: list[Any] = []
        for message in messages:
            try:
                pending.append(
                    await self._producer.send(
                        message.destination,
                        value=message.payload.encode(),
                        key=message.key.encode() if message.key else None,
                        headers=[(name, value.encode()) for name, value in message.headers.items()],
                    )
                )
            except KafkaError as error:
                pending.append(error)
        results: list[BaseException | None] = []
        acknowledged = []
        for future in pending:
            try:
                if isinstance(future, KafkaError):
                    raise future
                acknowledged.append(await future)
                results.append(None)
            except KafkaError as error:
                results.append(RetryableDeliveryError(f"Kafka did not acknowledge: {error!r}"))
        if self._metrics is not None and acknowledged:
            self._metrics.acknowledged(acknowledged)
        return results
