"""Samples the pipeline's topics every few seconds (end offsets and the groups'
committed offsets), so that the ops page shows throughput and lag per partition
without asking the broker on every refresh. The app runs ``sample`` periodically; a
broker hiccup is a failed run, and the page shows the last sample's time."""

import asyncio
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import structlog

from leadrouter_router.ops.throughput import OffsetSample, per_second, within
from leadrouter_runtime.watch import TopicWatch

log = structlog.get_logger(__name__)


class TopicActivity:
    def __init__(
        self,
        watch: TopicWatch,
        *,
        topics: Sequence[str],
        groups: Mapping[str, Sequence[str]],
        clock: Callable[[], datetime],
        interval_s: float,
        window_s: float,
    ) -> None:
        self._watch = watch
        self.topics = list(topics)
        self.groups = {group: list(read) for group, read in groups.items()}
        self._clock = clock
        self._interval_s = interval_s
        self.window_s = window_s
        self._samples: deque[OffsetSample] = deque()
        self._sampling = asyncio.Lock()

    async def sample(self) -> OffsetSample:
        """Read the broker now and keep the sample (older ones leave the window)."""
        async with self._sampling:
            partitions = await self._watch.offsets(self.topics, groups=self.groups)
            taken = OffsetSample(at=self._clock(), partitions=partitions)
            self._samples.append(taken)
            while (taken.at - self._samples[0].at).total_seconds() > self.window_s:
                self._samples.popleft()
            return taken

    async def latest(self) -> tuple[OffsetSample, Mapping[tuple[str, int], float | None]]:
        """The newest sample (taken now if none is recent) and the rates over the window."""
        fresh = self._samples and (
            (self._clock() - self._samples[-1].at).total_seconds() < 2 * self._interval_s
        )
        if not fresh:
            try:
                await self.sample()
            except Exception:
                # The last sample within the window, shown with its time, beats none.
                if not within(list(self._samples), window_s=self.window_s, now=self._clock()):
                    raise
                log.warning("ops.topics_sample_stale", sampled_at=self._samples[-1].at)
        samples = within(list(self._samples), window_s=self.window_s)
        return samples[-1], per_second(samples)


class OpsKafka:
    """What the ops endpoints read Kafka through, built by the app's lifespan."""

    def __init__(
        self, watch: TopicWatch, activity: TopicActivity, *, dead_letter_topics: Sequence[str]
    ) -> None:
        self.watch = watch
        self.activity = activity
        self.dead_letter_topics = list(dead_letter_topics)
