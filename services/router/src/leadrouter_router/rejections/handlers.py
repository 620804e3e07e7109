"""The ``leads.rejected`` consumer: one transaction per batch, offsets after the commit."""

from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from aiokafka import AIOKafkaProducer, ConsumerRecord
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrouter_router.rejections.service import record_rejections
from leadrouter_runtime.clock import Clock
from leadrouter_runtime.kafka import BatchConsumer, DeadLetter, decode_all
from leadrouter_runtime.kafka_metrics import ConsumerMetrics
from leadrouter_runtime.settings import KafkaSettings
from leadrouter_schemas import LeadRejected, topics

log = structlog.get_logger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class RecordRejections:
    """Batch handler for :class:`leadrouter_runtime.kafka.BatchConsumer`."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Clock

    async def __call__(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[DeadLetter]:
        events, letters = decode_all(records, LeadRejected)
        if events:
            async with self.sessions.begin() as session:
                stored = await record_rejections(session, events, now=self.clock())
            for event in events:
                log.debug(
                    "rejections.received",
                    correlation_id=event.correlation_id,
                    campaign_id=event.data.lead.campaign_id,
                    codes=[reason.code for reason in event.data.reasons],
                )
            log.info("rejections.recorded", events=len(events), stored=stored)
        return letters


def rejections_group(kafka: KafkaSettings) -> str:
    return f"{kafka.group_id or 'router'}.rejections"


def rejections_consumer(
    kafka: KafkaSettings,
    *,
    sessions: async_sessionmaker[AsyncSession],
    producer: AIOKafkaProducer,
    clock: Clock,
    metrics: ConsumerMetrics | None = None,
) -> BatchConsumer:
    """A consumer group of its own (``<group>.rejections``): its offsets and lag are
    apart from the routing of ``leads.scored``, and it reads the topic from the start."""
    return BatchConsumer(
        settings=kafka,
        topics=[kafka.topic(topics.LEADS_REJECTED)],
        group_id=rejections_group(kafka),
        handler=RecordRejections(sessions=sessions, clock=clock),
        producer=producer,
        metrics=metrics,
    )
