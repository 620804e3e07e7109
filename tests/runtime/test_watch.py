"""The broker's view that ops pages and lag probes read, against the real broker:
offsets per partition, a group's lag, and the latest records of a topic."""

import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from leadrouter_runtime.watch import PartitionOffsets, TopicWatch
from leadrouter_schemas import topics
from tests.support.kafka import produce


async def commit(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    # No auto-commit: the consumer starts fetching once assigned, and an auto-commit on
    # stop would overwrite the offset set here with its own position (seen in CI: 3).
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit({tp: OffsetAndMetadata(o, "") for tp, o in offsets.items()})
    finally:
        await consumer.stop()


async def test_offsets_show_each_partitions_end_and_each_groups_lag(
    kafka: str, topic_prefix: str, watch: TopicWatch
) -> None:
    topic = topic_prefix + topics.LEADS_SCORED
    await produce(kafka, topic, [b"a", b"b", b"c"], key=b"same-partition")
    (filled,) = [p for p in await watch.offsets([topic]) if p.end > 0]
    group = f"{topic_prefix}g-{uuid.uuid4().hex[:6]}"
    await commit(kafka, group, {TopicPartition(topic, filled.partition): 2})

    found = await watch.offsets([topic, topic_prefix + "no.such.topic"], groups={group: [topic]})

    assert [(p.topic, p.partition) for p in found] == [(topic, n) for n in range(3)]
    by_partition = {p.partition: p for p in found}
    assert by_partition[filled.partition].end == 3
    assert by_partition[filled.partition].committed == {group: 2}
    assert by_partition[filled.partition].lag(group) == 1
    empty = by_partition[(filled.partition + 1) % 3]
    assert (empty.end, empty.committed, empty.lag(group)) == (0, {group: None}, 0)


def test_a_group_without_a_commit_has_the_whole_log_to_do() -> None:
    offsets = PartitionOffsets(topic="t", partition=0, start=4, end=10, committed={"g": None})
    assert offsets.lag("g") == 6
    assert offsets.lag("never-seen") == 6
    assert offsets.records == 6


async def test_latest_reads_the_newest_records_across_partitions(
    kafka: str, topic_prefix: str, watch: TopicWatch
) -> None:
    topic = topic_prefix + topics.LEADS_RECEIVED
    producer = AIOKafkaProducer(bootstrap_servers=kafka)
    await producer.start()
    base_ms = int(time.time() * 1000) - 60_000
    try:
        for n in range(7):  # a second apart, so that "newest" is not a tie
            await producer.send_and_wait(
                topic, f"r{n}".encode(), key=uuid.uuid4().bytes, timestamp_ms=base_ms + n * 1000
            )
    finally:
        await producer.stop()

    latest = await watch.latest(topic, limit=3)
    everything = await watch.latest(topic, limit=50)

    assert [r.value for r in latest] == [b"r6", b"r5", b"r4"]
    assert sorted(r.value for r in everything) == sorted(f"r{n}".encode() for n in range(7))
    assert await watch.latest(topic_prefix + "no.such.topic", limit=3) == []
