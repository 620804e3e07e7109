"""Records per second per partition from successive samples of the end offsets
(pure: samples in, rates out)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from leadrouter_runtime.watch import PartitionOffsets

Partition = tuple[str, int]


@dataclass(frozen=True, slots=True)
class OffsetSample:
    at: datetime
    partitions: Sequence[PartitionOffsets]

    @property
    def ends(self) -> dict[Partition, int]:
        return {(p.topic, p.partition): p.end for p in self.partitions}


def per_second(samples: Sequence[OffsetSample]) -> Mapping[Partition, float | None]:
    """Each partition of the latest sample: records appended per second between the
    oldest sample that saw it and the latest; None until two samples saw it."""
    if not samples:
        return {}
    ends = [(s.at, s.ends) for s in samples]
    latest_at, latest_ends = ends[-1]
    rates: dict[Partition, float | None] = {}
    for partition, end in latest_ends.items():
        first_at, first_ends = next((e for e in ends if partition in e[1]), ends[-1])
        seconds = (latest_at - first_at).total_seconds()
        # A deleted and re-created topic restarts at 0: no rate across that.
        grown = end - first_ends[partition]
        rates[partition] = grown / seconds if seconds > 0 and grown >= 0 else None
    return rates


def within(
    samples: Sequence[OffsetSample], *, window_s: float, now: datetime | None = None
) -> list[OffsetSample]:
    """The samples no older than ``window_s`` before ``now`` (default: the latest one)."""
    if not samples:
        return []
    newest = now or samples[-1].at
    return [s for s in samples if (newest - s.at).total_seconds() <= window_s]
