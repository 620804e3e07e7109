"""Consumer lag as a Prometheus gauge, read from the broker's view of a group.

Lag per partition is the high-water mark minus the group's committed offset (all
that the log holds while the group has committed nothing), as Kafka's
``kafka-consumer-groups.sh --describe`` and lag exporters compute it. The probe
runs apart from the consumer loop (a periodic task), so a stuck loop shows as lag
that grows.
"""

import asyncio
from collections.abc import Sequence

import structlog
from prometheus_client import CollectorRegistry, Gauge

from leadrouter_runtime.settings import KafkaSettings
from leadrouter_runtime.watch import TopicWatch

log = structlog.get_logger(__name__)


def lag_gauge(registry: CollectorRegistry, prefix: str) -> Gauge:
    """``<prefix>_consumer_lag{topic,partition}`` on ``registry``."""
    return Gauge(
        f"{prefix}_consumer_lag",
        "Records on the partition not yet committed by the service's consumer group "
        "(high-water mark minus committed offset).",
        ["topic", "partition"],
        registry=registry,
    )


class ConsumerLagProbe:
    """Sets ``gauge{topic,partition}`` for ``group_id`` on ``topics`` at each
    :meth:`run_once`, which the service runs as a periodic task.

    A broker that does not answer never takes the service down: the round fails
    (the periodic task logs it and tries again at the next interval) and the gauge
    keeps its last values meanwhile.
    """

    def __init__(
        self,
        *,
        settings: KafkaSettings,
        group_id: str,
        topics: Sequence[str],
        gauge: Gauge,
        timeout_s: float = 30.0,
    ) -> None:
        self._settings = settings
        self.group_id = group_id
        self._topics = list(topics)
        self._gauge = gauge
        self._timeout_s = timeout_s
        self._watch: TopicWatch | None = None

    async def measure(self) -> dict[tuple[str, int], int]:
        """Read the offsets once, set the gauge; (topic, partition) -> lag."""
        if self._watch is None:
            watch = TopicWatch(self._settings, client_suffix=f"lag-{self.group_id}")
            try:
                await watch.start()
            except BaseException:
                await watch.stop()
                raise
            self._watch = watch
        found = await self._watch.offsets(self._topics, groups={self.group_id: self._topics})
        lags = {}
        for partition in found:
            lag = partition.lag(self.group_id)
            self._gauge.labels(topic=partition.topic, partition=str(partition.partition)).set(lag)
            lags[partition.topic, partition.partition] = lag
        return lags

    async def run_once(self) -> None:
        """One round within ``timeout_s``; a failed one closes the clients, so that the
        next round starts with fresh ones in case these were left half-open."""
        try:
            async with asyncio.timeout(self._timeout_s):
                await self.measure()
        except Exception:
            await self.close()
            raise

    async def close(self) -> None:
        watch, self._watch = self._watch, None
        if watch is not None:
            try:
                await watch.stop()
            except Exception as error:
                log.warning("kafka.lag_probe_close_failed", error=repr(error))
