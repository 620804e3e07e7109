"""The ``leads.rejected`` consumer: one transaction per batch, offsets after the commit."""

from collections.abc import Callable, Sequence
from datetime import datetime

import structlog
from aiokafka import AIOKafkaProducer, ConsumerRecord
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrouter_router.rejections.service import record_rejections
from leadrouter_runtime.kafka import BatchConsumer, DeadLetter
from leadrouter_runtime.kafka_metrics import ConsumerMetrics
from leadrouter_runtime.settings import KafkaSettings
from leadrouter_schemas import LeadRejected, decode_as, topics

log = structlog.get_logger(__name__)


class RecordRejections:
    """Batch handler for :class:`leadrouter_runtime.kafka.BatchConsumer`."""

    def __init__(
        self, *, sessions: async_sessionmaker[AsyncSession], clock: Callable[[], datetime]
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    async def __call__(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[DeadLetter]:
        events: list[LeadRejected] = []
        letters: list[DeadLetter] = []
        for record in records:
            if record.value is None:
                letters.append(DeadLetter.undecodable(record, None, model=LeadRejected))
                continue
            try:
                events.append(decode_as(record.value, LeadRejected))
            except ValidationError as error:
                letters.append(DeadLetter.undecodable(record, error, model=LeadRejected))
        if events:
            async with self._sessions.begin() as session:
                stored = await record_rejections(session, events, now=self._clock())
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
    clock: Callable[[], datetime],
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
