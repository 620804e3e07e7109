"""Delivers outbox messages of kind ``kafka``: the destination is the topic."""

from typing import Any

from aiokafka.errors import KafkaError

from leadrouter_router.platform.outbox import OutboxMessage, RetryableDeliveryError


class KafkaDeliverer:
    def __init__(self, producer: Any) -> None:
        self._producer = producer

    async def __call__(self, message: OutboxMessage) -> None:
        try:
            await self._producer.send_and_wait(
                message.destination,
                value=message.payload.encode(),
                key=message.key.encode() if message.key else None,
                headers=[(name, value.encode()) for name, value in message.headers.items()],
            )
        except KafkaError as error:
            raise RetryableDeliveryError(f"Kafka did not acknowledge: {error!r}") from error
