"""Rates from successive offset samples: pure values, no broker."""

from datetime import UTC, datetime, timedelta

from leadrouter_router.ops.throughput import OffsetSample, per_second, within
from leadrouter_runtime.watch import PartitionOffsets

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def sample(seconds: float, **ends: int) -> OffsetSample:
    return OffsetSample(
        at=T0 + timedelta(seconds=seconds),
        partitions=[
            PartitionOffsets(topic=name, partition=0, start=0, end=end, committed={})
            for name, end in ends.items()
        ],
    )


def test_the_rate_is_growth_over_the_time_between_the_first_and_latest_sample() -> None:
    rates = per_second([sample(0, a=100, b=7), sample(5, a=150, b=7), sample(10, a=300, b=7)])
    assert rates == {("a", 0): 20.0, ("b", 0): 0.0}


def test_one_sample_or_a_partition_seen_once_has_no_rate_yet() -> None:
    assert per_second([sample(0, a=5)]) == {("a", 0): None}
    assert per_second([sample(0, a=5), sample(5, a=10, new=3)]) == {("a", 0): 1.0, ("new", 0): None}
    assert per_second([]) == {}


def test_a_topic_recreated_from_zero_has_no_rate_across_the_reset() -> None:
    assert per_second([sample(0, a=500), sample(5, a=2)]) == {("a", 0): None}


def test_the_window_keeps_only_recent_samples() -> None:
    samples = [sample(0, a=0), sample(30, a=10), sample(70, a=20), sample(90, a=30)]
    assert [s.at for s in within(samples, window_s=60)] == [s.at for s in samples[1:]]
    assert within([], window_s=60) == []
    assert within(samples, window_s=60, now=T0 + timedelta(seconds=150)) == [samples[-1]]
