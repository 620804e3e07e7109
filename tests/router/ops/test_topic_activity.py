"""The topic sampler behind the ops page, on the real broker: rates between
samples, and the last good sample when the broker cannot be read."""

from datetime import UTC, datetime, timedelta

import pytest

from leadrouter_router.ops.topics import TopicActivity
from leadrouter_runtime.settings import KafkaSettings
from leadrouter_runtime.watch import TopicWatch
from leadrouter_schemas import topics
from tests.support.kafka import produce


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_rates_come_from_offsets_sampled_seconds_apart(
    kafka: str, topic_prefix: str, watch: TopicWatch
) -> None:
    topic = topic_prefix + topics.LEADS_RECEIVED
    clock = Clock()
    activity = TopicActivity(
        watch, topics=[topic], groups={}, clock=clock, interval_s=5, window_s=60
    )
    await activity.sample()
    await produce(kafka, topic, [b"a"] * 10, key=b"one-partition")
    clock.now += timedelta(seconds=5)
    await activity.sample()

    sample, rates = await activity.latest()

    assert sample.at == clock.now
    assert sorted(rates.values(), key=lambda r: r or 0) == [0.0, 0.0, 2.0]


async def test_the_last_sample_is_shown_while_the_broker_cannot_be_read(
    kafka: str, topic_prefix: str
) -> None:
    watch = TopicWatch(KafkaSettings(bootstrap_servers=kafka), client_suffix="activity-test")
    await watch.start()
    clock = Clock()
    activity = TopicActivity(
        watch,
        topics=[topic_prefix + topics.LEADS_SCORED],
        groups={},
        clock=clock,
        interval_s=5,
        window_s=60,
    )
    taken = await activity.sample()
    await watch.stop()  # from here on, every read of the broker fails

    clock.now += timedelta(seconds=30)
    stale, _ = await activity.latest()
    clock.now += timedelta(seconds=60)
    with pytest.raises(Exception):  # noqa: B017,PT011  (whatever the client raises)
        await activity.latest()

    assert stale == taken
