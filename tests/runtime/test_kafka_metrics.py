"""What the batch loop counts, against the real broker: records consumed per topic and
partition, dead letters by dead-letter topic (a zero from the start), the dead letters
among the records produced, and the time each batch took."""

import uuid
from collections import Counter
from collections.abc import Sequence

from aiokafka import ConsumerRecord
from prometheus_client import CollectorRegistry

from leadrouter_runtime.kafka import BatchConsumer, DeadLetter, create_producer
from leadrouter_runtime.kafka_metrics import ConsumerMetrics, ProducerMetrics
from leadrouter_runtime.settings import KafkaSettings
from leadrouter_schemas import topics
from tests.support.kafka import produce, read_all, wait_for_records
from tests.support.waiting import eventually


def by_labels(registry: CollectorRegistry, name: str) -> dict[tuple[str, ...], float]:
    return {
        tuple(sample.labels.values()): sample.value
        for family in registry.collect()
        for sample in family.samples
        if sample.name == name
    }


async def test_records_are_counted_per_partition_once_committed_with_their_dead_letters(
    kafka: str, topic_prefix: str
) -> None:
    topic = topic_prefix + topics.LEADS_SCORED
    dlq = topic + ".dlq"
    await produce(kafka, topic, [b"ok-1", b"bad-1", b"ok-2"], key=b"one-partition")
    await produce(kafka, topic, [b"ok-3", b"bad-2", b"ok-4"])
    on_topic = Counter((r.topic, str(r.partition)) for r in await read_all(kafka, topic))
    settings = KafkaSettings(bootstrap_servers=kafka, client_id="metrics-test")
    registry = CollectorRegistry()
    metrics = ConsumerMetrics(registry, "svc", produced=ProducerMetrics(registry, "svc"))

    async def handle(records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[DeadLetter]:
        return [DeadLetter(r, "bad", "decode") for r in records if r.value.startswith(b"bad")]

    producer = create_producer(settings, client_suffix="metrics-test")
    await producer.start()
    consumer = BatchConsumer(
        settings=settings,
        topics=[topic],
        group_id=f"{topic_prefix}metrics-{uuid.uuid4().hex[:6]}",
        handler=handle,
        producer=producer,
        metrics=metrics,
    )
    # Before any dead letter: a zero, so that increase() sees the first one.
    assert by_labels(registry, "svc_dead_letters_total") == {(dlq,): 0.0}
    await consumer.start()
    try:

        async def all_consumed() -> bool:
            consumed = by_labels(registry, "svc_records_consumed_total")
            return consumed == {(topic, p): float(n) for (_, p), n in on_topic.items()}

        await eventually(all_consumed, what=f"consumed per partition {dict(on_topic)}")
    finally:
        await consumer.stop()
        await producer.stop()

    assert by_labels(registry, "svc_dead_letters_total") == {(dlq,): 2.0}
    letters = await wait_for_records(kafka, dlq, 2)
    produced = Counter((r.topic, str(r.partition)) for r in letters)
    assert by_labels(registry, "svc_records_produced_total") == {
        (t, p): float(n) for (t, p), n in produced.items()
    }
    batches = registry.get_sample_value("svc_batch_duration_seconds_count")
    assert batches is not None
    assert batches >= 1
