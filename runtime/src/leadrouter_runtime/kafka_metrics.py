"""Prometheus metrics of the Kafka plumbing, named by a service prefix
(``scorer``, ``router``): records in and out per topic and partition, dead
letters, batch handling time. Registered on the app's own registry.

Names follow https://prometheus.io/docs/practices/naming/ (``_total`` counters,
base units in seconds); partitions are labels, as Kafka's own exporters do.
"""

from collections import Counter as Tally
from collections.abc import Iterable, Mapping, Sequence

from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.structs import RecordMetadata
from prometheus_client import CollectorRegistry, Counter, Histogram

from leadrouter_schemas.topics import dead_letter

BATCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class ProducerMetrics:
    """``<prefix>_records_produced_total{topic,partition}``: records the broker acknowledged."""

    def __init__(self, registry: CollectorRegistry, prefix: str) -> None:
        self.records = Counter(
            f"{prefix}_records_produced",
            "Records produced and acknowledged by the broker, by topic and partition "
            "(dead letters included).",
            ["topic", "partition"],
            registry=registry,
        )

    def acknowledged(self, sent: Iterable[RecordMetadata]) -> None:
        # One label look-up per partition, not per record.
        for (topic, partition), count in Tally((m.topic, m.partition) for m in sent).items():
            self.records.labels(topic=topic, partition=str(partition)).inc(count)


class ConsumerMetrics:
    """What :class:`leadrouter_runtime.kafka.BatchConsumer` counts once a batch is committed.

    Dead letters are labelled by the dead-letter topic (``<source>.dlq``), the
    topic ops inspect and replay; the source topic is its name without ``.dlq``.
    """

    def __init__(
        self,
        registry: CollectorRegistry,
        prefix: str,
        *,
        produced: ProducerMetrics | None = None,
    ) -> None:
        self.produced = produced
        self.consumed = Counter(
            f"{prefix}_records_consumed",
            "Records consumed and committed (handled or dead-lettered), by topic and partition.",
            ["topic", "partition"],
            registry=registry,
        )
        self.dead_letters = Counter(
            f"{prefix}_dead_letters",
            "Records sent to a dead-letter topic, by that topic (`<source topic>.dlq`).",
            ["topic"],
            registry=registry,
        )
        self.batch_duration = Histogram(
            f"{prefix}_batch_duration_seconds",
            "Time to handle one consumed batch: the handler, its dead letters, the commit.",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )

    def expect(self, topics: Sequence[str]) -> None:
        """Export a zero for the dead-letter topic of each consumed topic, so that
        ``increase()`` sees the first dead letter too (a series born at 1 shows none)."""
        for topic in topics:
            self.dead_letters.labels(topic=dead_letter(topic))

    def committed(
        self,
        polled: Mapping[TopicPartition, Sequence[ConsumerRecord[bytes, bytes]]],
        dead_letters: Sequence[RecordMetadata],
        *,
        duration_s: float,
    ) -> None:
        for tp, records in polled.items():
            self.consumed.labels(topic=tp.topic, partition=str(tp.partition)).inc(len(records))
        for topic, count in Tally(m.topic for m in dead_letters).items():
            self.dead_letters.labels(topic=topic).inc(count)
        if self.produced is not None:
            self.produced.acknowledged(dead_letters)
        self.batch_duration.observe(duration_s)
