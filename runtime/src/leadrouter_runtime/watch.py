"""The broker's view of topics, read without joining any consumer group: each
partition's log start and high-water mark, the offsets groups have committed on
it, and the latest records of a topic (what ops pages and lag probes need).

Lag is the high-water mark minus the committed offset, as Kafka's own
``kafka-consumer-groups.sh --describe`` computes it.
"""

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from leadrouter_runtime.settings import KafkaSettings


@dataclass(frozen=True, slots=True)
class PartitionOffsets:
    topic: str
    partition: int
    start: int
    end: int
    committed: Mapping[str, int | None]
    """Group id -> its committed offset, None when it has committed nothing here."""

    @property
    def records(self) -> int:
        return self.end - self.start

    def lag(self, group: str) -> int:
        """Records the group has still to do; without a commit, all that the log holds."""
        done = self.committed.get(group)
        return max(0, self.end - (self.start if done is None else max(done, self.start)))


class TopicWatch:
    """One admin client and one group-less consumer, opened by ``start``."""

    def __init__(self, settings: KafkaSettings, *, client_suffix: str) -> None:
        self._settings = settings
        self._client_id = f"{settings.client_id}-{client_suffix}"
        self._admin: Any = None
        self._consumer: Any = None
        # ``latest`` moves the consumer's assignment: one reader at a time.
        self._reading = asyncio.Lock()

    async def start(self) -> None:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self._settings.bootstrap_servers,
            client_id=self._client_id,
            request_timeout_ms=self._settings.request_timeout_ms,
        )
        await admin.start()
        self._admin = admin
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.bootstrap_servers,
            client_id=self._client_id,
            group_id=None,  # reads commit nothing and move no service's offsets
            enable_auto_commit=False,
            request_timeout_ms=self._settings.request_timeout_ms,
        )
        try:
            await consumer.start()
        except BaseException:
            await consumer.stop()
            raise
        self._consumer = consumer

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
        if self._admin is not None:
            await self._admin.close()
            self._admin = None

    async def partitions(self, topics: Sequence[str]) -> list[TopicPartition]:
        """The partitions of those ``topics`` that exist, in name and number order."""
        found = []
        for description in await self._admin.describe_topics(list(topics)):
            if description["error_code"] == 0:
                found += [
                    TopicPartition(description["topic"], p["partition"])
                    for p in description["partitions"]
                ]
        return sorted(found)

    async def offsets(
        self, topics: Sequence[str], *, groups: Mapping[str, Sequence[str]] | None = None
    ) -> list[PartitionOffsets]:
        """Offsets of every partition of ``topics``; ``groups`` maps a group id to
        the topics whose committed offsets are wanted for it."""
        partitions = await self.partitions(topics)
        if not partitions:
            return []
        starts = await self._consumer.beginning_offsets(partitions)
        ends = await self._consumer.end_offsets(partitions)
        committed: dict[TopicPartition, dict[str, int | None]] = {tp: {} for tp in partitions}
        for group, its_topics in (groups or {}).items():
            mine = [tp for tp in partitions if tp.topic in its_topics]
            if not mine:
                continue
            answer = await self._admin.list_consumer_group_offsets(group, partitions=mine)
            for tp in mine:
                done = answer.get(tp)
                has_commit = done is not None and done.offset >= 0
                committed[tp][group] = done.offset if has_commit else None
        return [
            PartitionOffsets(
                topic=tp.topic,
                partition=tp.partition,
                start=starts[tp],
                end=ends[tp],
                committed=committed[tp],
            )
            for tp in partitions
        ]

    async def latest(
        self, topic: str, *, limit: int, timeout_s: float = 5.0
    ) -> list[ConsumerRecord[bytes, bytes]]:
        """The ``limit`` most recent records of ``topic`` (by timestamp, newest
        first), read up to the end offsets seen when reading started."""
        async with self._reading:
            partitions = await self.partitions([topic])
            if not partitions or limit <= 0:
                return []
            consumer = self._consumer
            starts = await consumer.beginning_offsets(partitions)
            ends = await consumer.end_offsets(partitions)
            wanted = [tp for tp in partitions if ends[tp] > starts[tp]]
            consumer.assign(wanted)
            for tp in wanted:
                consumer.seek(tp, max(starts[tp], ends[tp] - limit))
            records: list[ConsumerRecord[bytes, bytes]] = []
            async with asyncio.timeout(timeout_s):
                while any([await consumer.position(tp) < ends[tp] for tp in wanted]):
                    batch = await consumer.getmany(*wanted, timeout_ms=200)
                    for tp, got in batch.items():
                        records += [r for r in got if r.offset < ends[tp]]
            consumer.assign([])
        records.sort(key=lambda r: (r.timestamp, r.partition, r.offset), reverse=True)
        return records[:limit]
