"""The ``leads.received`` consumer: validate and score a batch, publish the verdicts."""

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import structlog
from aiokafka import ConsumerRecord
from pydantic import ValidationError

from leadrouter_runtime.kafka import DeadLetter, OutboundRecord, send_all
from leadrouter_runtime.settings import KafkaSettings
from leadrouter_schemas import (
    LeadReceived,
    LeadRejected,
    LeadRejectedData,
    LeadScored,
    LeadScoredData,
    ScoringModel,
    ValidationCriteria,
    decode_as,
    encode,
    headers,
    topics,
)
from leadrouter_scorer.scoring.score import score
from leadrouter_scorer.scoring.validation import validate

log = structlog.get_logger(__name__)

# Derived event ids: scoring the same received event twice (a redelivery after a
# crash) yields the same id, so downstream consumers see one fact, not two.
_EVENT_ID_NAMESPACE = uuid.UUID("6f1c2a8e-3b7d-4c1e-9a55-2f4b8d0e7c31")


def derived_event_id(received: LeadReceived, kind: str) -> uuid.UUID:
    return uuid.uuid5(_EVENT_ID_NAMESPACE, f"{received.event_id}:{kind}")


def verdict(
    received: LeadReceived, *, criteria: ValidationCriteria, model: ScoringModel, now: datetime
) -> LeadScored | LeadRejected:
    """The pure step: a received lead becomes either scored or rejected."""
    lead = received.data.lead
    envelope = {
        "occurred_at": now,
        "source": "scorer",
        "correlation_id": received.correlation_id,
        "causation_id": received.event_id,
    }
    reasons = validate(lead, criteria)
    if reasons:
        return LeadRejected(
            event_id=derived_event_id(received, "rejected"),
            data=LeadRejectedData(lead=lead, reasons=tuple(reasons)),
            **envelope,
        )
    return LeadScored(
        event_id=derived_event_id(received, "scored"),
        data=LeadScoredData(lead=lead, score=score(lead, model)),
        **envelope,
    )


class ScoreReceivedLeads:
    """Batch handler for :class:`leadrouter_runtime.kafka.BatchConsumer`."""

    def __init__(
        self,
        *,
        kafka: KafkaSettings,
        producer: Any,
        model: ScoringModel,
        clock: Callable[[], datetime],
    ) -> None:
        self._kafka = kafka
        self._producer = producer
        self._model = model
        self._criteria = ValidationCriteria()
        self._clock = clock

    async def __call__(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[DeadLetter]:
        now = self._clock()
        out: list[OutboundRecord] = []
        letters: list[DeadLetter] = []
        for record in records:
            if record.value is None:
                letters.append(DeadLetter(record, "empty value (tombstone)", "decode"))
                continue
            try:
                received = decode_as(record.value, LeadReceived)
            except ValidationError as error:
                letters.append(DeadLetter(record, f"not a LeadReceived v1: {error}", "decode"))
                continue
            event = verdict(received, criteria=self._criteria, model=self._model, now=now)
            topic = topics.LEADS_SCORED if isinstance(event, LeadScored) else topics.LEADS_REJECTED
            out.append(
                OutboundRecord(
                    topic=self._kafka.topic(topic),
                    key=record.key,
                    value=encode(event),
                    headers=headers(event),
                )
            )
            log.info(
                "scoring.verdict",
                lead_key=received.data.lead.lead_key,
                verdict=event.type,
                correlation_id=event.correlation_id,
            )
        await send_all(self._producer, out)
        return letters
