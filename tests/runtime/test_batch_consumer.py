"""The batch loop every consumer runs, against the real broker: a handler that
fails gets the same records again, and offsets move only after it succeeds."""

import uuid
from collections.abc import Sequence

from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient

from leadrouter_runtime.kafka import BatchConsumer, DeadLetter, create_producer
from leadrouter_runtime.settings import KafkaSettings
from leadrouter_schemas import topics
from tests.support.kafka import produce
from tests.support.waiting import eventually


async def committed(bootstrap: str, group: str, topic: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic and meta.offset > 0)


async def test_a_failing_batch_is_redelivered_and_committed_only_after_success(
    kafka: str, topic_prefix: str
) -> None:
    topic = topic_prefix + topics.LEADS_RECEIVED
    values = [f"record-{n}".encode() for n in range(5)]
    await produce(kafka, topic, values, key=b"one-partition")
    seen: list[list[bytes]] = []

    async def flaky(records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[DeadLetter]:
        seen.append([r.value for r in records])
        if len(seen) == 1:
            raise ConnectionError("the database is down")
        return []

    settings = KafkaSettings(bootstrap_servers=kafka, client_id="loop-test")
    group = f"{topic_prefix}loop-{uuid.uuid4().hex[:6]}"
    producer = create_producer(settings, client_suffix="loop-test")
    await producer.start()
    consumer = BatchConsumer(
        settings=settings,
        topics=[topic],
        group_id=group,
        handler=flaky,
        producer=producer,
        retry_backoff_s=0.05,
    )
    await consumer.start()
    try:

        async def handled_twice() -> bool:
            return sum(len(batch) for batch in seen) >= 2 * len(values)

        await eventually(handled_twice, what="the batch handled again after the failure")

        async def all_committed() -> bool:
            return await committed(kafka, group, topic) == len(values)

        await eventually(all_committed, what="offsets committed after the success")
        assert consumer.running
    finally:
        await consumer.stop()
        await producer.stop()

    first, *again = seen
    assert first == values[: len(first)]
    # Every record of the failed batch came again, in order, before anything new.
    assert [v for batch in again for v in batch][: len(first)] == first
    assert sorted({v for batch in seen for v in batch}) == sorted(values)
