"""The batch loop every consumer runs, against the real broker: a handler that
fails gets the same records again, and offsets move only after it succeeds."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

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


async def test_a_restarted_static_member_gets_its_partitions_back_without_a_rebalance(
    kafka: str, topic_prefix: str
) -> None:
    topic = topic_prefix + topics.LEADS_SCORED
    # A session far longer than the deadline below: were the first member's partitions
    # held until its session expired (dynamic membership after a crash), the second
    # would not see a record in time. A static member never leaves the group, so its
    # orderly stop is a crash as far as the group can tell.
    settings = KafkaSettings(
        bootstrap_servers=kafka,
        client_id="static-test",
        group_instance_id="router-0",
        session_timeout_ms=120_000,
    )
    group = f"{topic_prefix}static-{uuid.uuid4().hex[:6]}"
    seen: list[bytes | None] = []

    async def handle(records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[DeadLetter]:
        seen.extend(r.value for r in records)
        return []

    producer = create_producer(settings, client_suffix="static-test")
    await producer.start()
    try:
        for value in (b"before", b"after"):
            consumer = BatchConsumer(
                settings=settings, topics=[topic], group_id=group, handler=handle, producer=producer
            )
            await consumer.start()
            try:
                await produce(kafka, topic, [value])

                async def handled(value: bytes = value) -> bool:
                    return value in seen

                await eventually(handled, timeout_s=30, what=f"{value!r} handled")
            finally:
                await consumer.stop()
            # Still a member of the group: it did not leave, its partitions wait for it.
            assert await group_state(kafka, group) == "Stable"
    finally:
        await producer.stop()
    assert seen == [b"before", b"after"]


async def group_state(bootstrap: str, group: str) -> str:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    state: str = described.to_object()["groups"][0]["state"]
    return state


@asynccontextmanager
async def lingering_consumer(
    kafka: str, topic_prefix: str, topic: str, *, linger_ms: int, max_batch: int
) -> AsyncIterator[tuple[BatchConsumer, list[list[bytes | None]]]]:
    batches: list[list[bytes | None]] = []

    async def handle(records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[DeadLetter]:
        batches.append([r.value for r in records])
        return []

    settings = KafkaSettings(
        bootstrap_servers=kafka,
        client_id="linger-test",
        batch_linger_ms=linger_ms,
        max_batch=max_batch,
    )
    producer = create_producer(settings, client_suffix="linger-test")
    await producer.start()
    consumer = BatchConsumer(
        settings=settings,
        topics=[topic],
        group_id=f"{topic_prefix}linger-{uuid.uuid4().hex[:6]}",
        handler=handle,
        producer=producer,
    )
    await consumer.start()
    try:
        yield consumer, batches
    finally:
        await consumer.stop()
        await producer.stop()


async def test_records_arriving_together_wait_for_a_fuller_batch(
    kafka: str, topic_prefix: str
) -> None:
    topic = topic_prefix + topics.LEADS_SCORED
    await produce(kafka, topic, [b"a", b"b", b"c"], key=b"one-partition")
    # A linger far longer than the deadline below: the batch is handled once full.
    async with lingering_consumer(kafka, topic_prefix, topic, linger_ms=600_000, max_batch=5) as (
        consumer,
        batches,
    ):
        async with asyncio.timeout(30):
            await consumer.assigned.wait()
        await produce(kafka, topic, [b"d", b"e"], key=b"one-partition")

        async def handled() -> bool:
            return bool(batches)

        await eventually(handled, timeout_s=30, what="the full batch handled")
    assert batches[0] == [b"a", b"b", b"c", b"d", b"e"]


async def test_a_lone_record_is_handled_without_waiting_for_more(
    kafka: str, topic_prefix: str
) -> None:
    topic = topic_prefix + topics.LEADS_SCORED
    async with lingering_consumer(kafka, topic_prefix, topic, linger_ms=600_000, max_batch=500) as (
        _,
        batches,
    ):
        await produce(kafka, topic, [b"alone"])

        async def handled() -> bool:
            return bool(batches)

        await eventually(handled, timeout_s=30, what="the lone record handled")
    assert batches == [[b"alone"]]
