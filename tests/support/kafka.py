"""Reading topics in tests: every record, up to the end of the log, by offsets."""

import uuid
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from leadrouter_runtime.settings import KafkaSettings
from leadrouter_runtime.topics import partitions_of
from tests.support.waiting import eventually


async def read_all(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Everything on ``topic`` now (up to each partition's end offset)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        group_id=None,
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in await partitions_of(bootstrap, topic)]
        # The end offsets before assigning: once assigned, the consumer's fetch waits
        # on the broker (fetch_max_wait_ms, 500 ms) and the offsets request queues
        # behind it on the same connection, half a second per read.
        ends = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batch = await consumer.getmany(timeout_ms=500)
            for tp, items in batch.items():
                records.extend(r for r in items if r.offset < ends[tp])
        return records
    finally:
        await consumer.stop()


async def wait_for_records(
    bootstrap: str, topic: str, count: int, *, timeout_s: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Wait until ``topic`` holds at least ``count`` records; return them all."""

    async def enough() -> list[ConsumerRecord[bytes, bytes]] | None:
        records = await read_all(bootstrap, topic)
        return records if len(records) >= count else None

    return await eventually(enough, timeout_s=timeout_s, what=f"{count} records on {topic}")


async def produce(
    bootstrap: str,
    topic: str,
    values: Sequence[bytes],
    *,
    key: bytes | None = None,
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value=value, key=key or uuid.uuid4().bytes)
    finally:
        await producer.stop()


def service_kafka(
    bootstrap: str, prefix: str, service: str, *, client: str = "test"
) -> KafkaSettings:
    """A service's Kafka settings in a test: the test's topics (``prefix``) and the
    service's consumer group under the same prefix (``router``, ``scorer``)."""
    return KafkaSettings(
        bootstrap_servers=bootstrap,
        topic_prefix=prefix,
        client_id=f"{service}-{client}",
        group_id=f"{prefix}{service}",
    )
