"""Follows ``config.campaigns`` into the catalogue.

At start-up the whole compacted topic is read, from the beginning up to the end
offsets taken then, before the scorer consumes any lead: a lead is never judged
against a half-loaded catalogue. Afterwards the follower keeps reading new
records. It is a consumer without a group that is assigned every partition:
each scorer instance needs every campaign, and there is nothing to commit.
"""

import asyncio
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from leadrouter_runtime.kafka import stop_reading
from leadrouter_runtime.settings import KafkaSettings
from leadrouter_runtime.topics import partitions_of
from leadrouter_schemas import topics
from leadrouter_scorer.campaigns.catalogue import CampaignCatalogue, InvalidCampaignRecordError

log = structlog.get_logger(__name__)


class CampaignFollower:
    def __init__(self, *, kafka: KafkaSettings, catalogue: CampaignCatalogue) -> None:
        self._kafka = kafka
        self._topic = kafka.topic(topics.CAMPAIGNS_CONFIG)
        self.catalogue = catalogue
        self._consumer: Any = None
        self._task: asyncio.Task[None] | None = None
        self.loaded = False

    @property
    def following(self) -> bool:
        return self.loaded and self._task is not None and not self._task.done()

    async def start(self, *, timeout_s: float = 30.0) -> None:
        """Load the catalogue up to the topic's current end, then follow it."""
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._kafka.bootstrap_servers,
            client_id=f"{self._kafka.client_id}-campaigns",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            fetch_max_wait_ms=self._kafka.fetch_max_wait_ms,
            request_timeout_ms=self._kafka.request_timeout_ms,
        )
        await self._consumer.start()
        await asyncio.wait_for(self._load(), timeout_s)
        self.loaded = True
        log.info("campaigns.loaded", topic=self._topic, campaigns=self.catalogue.ids())
        self._task = asyncio.create_task(self._follow(), name="campaigns:follow")

    async def stop(self) -> None:
        await stop_reading(self._task, self._consumer)
        self._task = self._consumer = None

    async def _load(self) -> None:
        consumer = self._consumer
        numbers = await partitions_of(self._kafka.bootstrap_servers, self._topic)
        partitions = [TopicPartition(self._topic, n) for n in numbers]
        # The end offsets before assigning: once assigned, the consumer's fetch waits
        # on the broker (fetch_max_wait_ms: 2 s for the scorer) and the offsets
        # request queues behind it on the same connection, that long at every start.
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            self._apply_all(await consumer.getmany(timeout_ms=self._kafka.poll_timeout_ms))

    async def _follow(self) -> None:
        while True:
            self._apply_all(await self._consumer.getmany(timeout_ms=1000))

    def _apply_all(self, polled: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]) -> None:
        for records in polled.values():
            for record in records:
                try:
                    campaign = self.catalogue.apply(record.key, record.value)
                except InvalidCampaignRecordError as error:
                    # The previous version of the campaign stays in force; the
                    # router owns the topic and must publish a valid one.
                    log.error(
                        "campaigns.record_invalid",
                        offset=record.offset,
                        key=record.key,
                        error=str(error),
                    )
                    continue
                if campaign is None:
                    log.info("campaigns.deleted", campaign_id=record.key.decode(errors="replace"))
                else:
                    log.info(
                        "campaigns.configured",
                        campaign_id=campaign.campaign_id,
                        version=campaign.version,
                        active=campaign.active,
                        model_version=campaign.scoring.version if campaign.scoring else None,
                    )
