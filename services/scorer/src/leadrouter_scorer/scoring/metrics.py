"""What ops see of the scoring consumer at ``GET /metrics``.

Names follow https://prometheus.io/docs/practices/naming/ (``scorer_`` prefix,
``_total`` counters, base units in seconds).
"""

import asyncio
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

log = structlog.get_logger(__name__)

SCORE_BUCKETS = (10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class ScoringMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.consumed = Counter(
            "scorer_records_consumed_total",
            "Records consumed, by topic.",
            ["topic"],
            registry=registry,
        )
        self.produced = Counter(
            "scorer_records_produced_total",
            "Records produced (acknowledged by the broker), by topic.",
            ["topic"],
            registry=registry,
        )
        self.rejections = Counter(
            "scorer_rejections_total",
            "Failed criteria of rejected leads, by reason code (a lead may fail several).",
            ["code"],
            registry=registry,
        )
        self.scores = Histogram(
            "scorer_lead_score",
            "Combined value score (0-100) of scored leads, by campaign.",
            ["campaign_id"],
            buckets=SCORE_BUCKETS,
            registry=registry,
        )
        self.latency = Histogram(
            "scorer_processing_latency_seconds",
            "From a record's produce timestamp on leads.received to its verdict acknowledged.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.lag = Gauge(
            "scorer_consumer_lag",
            "Records on the partition not yet committed by the scorer's group "
            "(high-water mark minus committed offset).",
            ["topic", "partition"],
            registry=registry,
        )


class ConsumerLagProbe:
    """Sets ``scorer_consumer_lag`` every ``interval_s`` from the broker's view:
    the end offsets of the topic and the committed offsets of the group, as lag
    exporters do. Runs apart from the consumer loop, so a stuck loop shows."""

    def __init__(
        self,
        *,
        metrics: ScoringMetrics,
        bootstrap_servers: str,
        group_id: str,
        topic: str,
        interval_s: float,
    ) -> None:
        self._metrics = metrics
        self._bootstrap = bootstrap_servers
        self._group_id = group_id
        self._topic = topic
        self._interval_s = interval_s
        self._admin: Any = None
        self._consumer: Any = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        await self._admin.start()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, group_id=None, enable_auto_commit=False
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name="scorer:lag")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()
        if self._admin is not None:
            await self._admin.close()

    async def measure(self) -> dict[int, int]:
        (description,) = await self._admin.describe_topics([self._topic])
        numbers = sorted(p["partition"] for p in description["partitions"])
        partitions = [TopicPartition(self._topic, n) for n in numbers]
        ends = await self._consumer.end_offsets(partitions)
        committed = await self._admin.list_consumer_group_offsets(
            self._group_id, partitions=partitions
        )
        lag = {}
        for tp in partitions:
            done = committed.get(tp)
            # No commit yet: everything since the log start is still to do.
            lag[tp.partition] = ends[tp] - (done.offset if done and done.offset >= 0 else 0)
            self._metrics.lag.labels(self._topic, str(tp.partition)).set(lag[tp.partition])
        return lag

    async def _run(self) -> None:
        while True:
            try:
                await self.measure()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # A metric must not take the scorer down; the next round tries again.
                log.warning("scorer.lag_probe_failed", error=repr(error))
            await asyncio.sleep(self._interval_s)
