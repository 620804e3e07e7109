"""The consumer lag probe both services run, against the real broker: the gauge
shows what waits per partition, drops to zero once the group commits, and a broker
that does not answer leaves the probe (and the service) running."""

import socket
import uuid
from collections.abc import Sequence

from aiokafka import ConsumerRecord
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from leadrouter_runtime.kafka import BatchConsumer, DeadLetter, create_producer
from leadrouter_runtime.lag import ConsumerLagProbe, lag_gauge
from leadrouter_runtime.periodic import PeriodicTask, running
from leadrouter_runtime.settings import KafkaSettings
from leadrouter_schemas import topics
from tests.support.kafka import produce, read_all
from tests.support.waiting import eventually


def lags(registry: CollectorRegistry, topic: str) -> dict[str, float]:
    return {
        sample.labels["partition"]: sample.value
        for family in registry.collect()
        for sample in family.samples
        if sample.name == "svc_consumer_lag" and sample.labels["topic"] == topic
    }


async def test_lag_shows_the_records_waiting_per_partition_then_zero_once_handled(
    kafka: str, topic_prefix: str
) -> None:
    topic = topic_prefix + topics.LEADS_SCORED
    await produce(kafka, topic, [b"a", b"b", b"c"], key=b"one-partition")
    await produce(kafka, topic, [b"d", b"e"])
    waiting: dict[str, float] = {}
    for record in await read_all(kafka, topic):
        waiting[str(record.partition)] = waiting.get(str(record.partition), 0) + 1
    settings = KafkaSettings(bootstrap_servers=kafka, client_id="lag-test")
    group = f"{topic_prefix}lag-{uuid.uuid4().hex[:6]}"
    registry = CollectorRegistry()
    probe = ConsumerLagProbe(
        settings=settings, group_id=group, topics=[topic], gauge=lag_gauge(registry, "svc")
    )
    async with running([PeriodicTask("consumer-lag", probe.run_once, interval_s=0.1)]):
        # No commit yet: everything the log holds is still to do.
        expected = {str(n): waiting.get(str(n), 0.0) for n in range(3)}
        await eventually(lambda: _async(lags(registry, topic) == expected), what=f"lag {expected}")

        async def handle(records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[DeadLetter]:
            return []

        producer = create_producer(settings, client_suffix="lag-test")
        await producer.start()
        consumer = BatchConsumer(
            settings=settings, topics=[topic], group_id=group, handler=handle, producer=producer
        )
        await consumer.start()
        try:
            zero = {str(n): 0.0 for n in range(3)}
            await eventually(lambda: _async(lags(registry, topic) == zero), what="lag 0")
        finally:
            await consumer.stop()
            await producer.stop()
    await probe.close()


async def test_a_broker_that_does_not_answer_is_logged_and_tried_again(kafka: str) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        nobody = f"127.0.0.1:{closed.getsockname()[1]}"  # bound, never listening
        settings = KafkaSettings(bootstrap_servers=nobody, request_timeout_ms=1000)
        probe = ConsumerLagProbe(
            settings=settings,
            group_id="lag-test",
            topics=["leads.scored"],
            gauge=lag_gauge(CollectorRegistry(), "svc"),
            timeout_s=5,
        )
        task = PeriodicTask(
            "consumer-lag", probe.run_once, interval_s=0.05, log_context={"group_id": "lag-test"}
        )
        with capture_logs() as logs:
            async with running([task]):  # the body runs at once, although nothing answers

                async def failed_twice() -> bool:
                    failures = [e for e in logs if e["event"] == "periodic.failed"]
                    return len(failures) >= 2

                await eventually(failed_twice, what="two failed rounds")
        await probe.close()
    failure = next(e for e in logs if e["event"] == "periodic.failed")
    assert failure["task"] == "consumer-lag"
    assert failure["group_id"] == "lag-test"


async def _async(value: bool) -> bool:
    return value
