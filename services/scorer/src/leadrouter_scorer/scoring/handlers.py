"""The ``leads.received`` consumer: validate and score a batch, publish the verdicts.

:class:`BatchJudge` is the work without Kafka (records in, records to produce out);
:class:`ScoreReceivedLeads` adds the producing and the metrics. The hot path is
measured in-process by ``bench/scorer_throughput.py --in-process`` (decision 0204).
"""

import hashlib
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from aiokafka import ConsumerRecord
from aiokafka.structs import RecordMetadata
from pydantic import ValidationError

from leadrouter_runtime import failures
from leadrouter_runtime.kafka import DeadLetter, OutboundRecord, send_all
from leadrouter_runtime.settings import KafkaSettings
from leadrouter_schemas import (
    Campaign,
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
from leadrouter_scorer.campaigns.catalogue import CampaignCatalogue
from leadrouter_scorer.scoring.metrics import ScoringMetrics
from leadrouter_scorer.scoring.score import score
from leadrouter_scorer.scoring.validation import campaign_reasons, check

log = structlog.get_logger(__name__)

# Derived event ids: scoring the same received event twice (a redelivery after a
# crash) yields the same id, so downstream consumers see one fact, not two.
_EVENT_ID_NAMESPACE = uuid.UUID("6f1c2a8e-3b7d-4c1e-9a55-2f4b8d0e7c31")
_NAMESPACE_BYTES = _EVENT_ID_NAMESPACE.bytes
_DEFAULT_CRITERIA = ValidationCriteria()


def derived_event_id(received: LeadReceived, kind: str) -> uuid.UUID:
    """``uuid5(namespace, f"{event_id}:{kind}")``, spelled out (RFC 9562 section 5.5)
    so that the namespace's bytes are computed once, not per lead."""
    name = f"{received.event_id}:{kind}".encode()
    digest = hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()
    return uuid.UUID(bytes=digest[:16], version=5)


def verdict(
    received: LeadReceived,
    campaign: Campaign | None,
    *,
    default_model: ScoringModel,
    accept_unknown_campaign: bool = False,
    now: datetime,
) -> LeadScored | LeadRejected:
    """The pure step: a received lead becomes either scored or rejected.

    The score depends on the event and the campaign only (its age is the event's
    own ``occurred_at - submitted_at``); ``now`` only stamps the new event.
    """
    lead = received.data.lead
    reasons = (
        [] if campaign is None and accept_unknown_campaign else campaign_reasons(lead, campaign)
    )
    checked = check(lead, campaign.criteria if campaign else _DEFAULT_CRITERIA)
    reasons.extend(checked.reasons)
    if reasons:
        return LeadRejected(
            event_id=derived_event_id(received, "rejected"),
            data=LeadRejectedData(lead=checked.lead, reasons=tuple(reasons)),
            occurred_at=now,
            source="scorer",
            correlation_id=received.correlation_id,
            causation_id=received.event_id,
        )
    model = campaign.scoring if campaign and campaign.scoring else default_model
    result = score(
        checked.lead,
        model,
        campaign_kind=campaign.kind if campaign else None,
        age=received.occurred_at - lead.submitted_at,
    )
    return LeadScored(
        event_id=derived_event_id(received, "scored"),
        data=LeadScoredData(lead=checked.lead, score=result, warnings=tuple(checked.warnings)),
        occurred_at=now,
        source="scorer",
        correlation_id=received.correlation_id,
        causation_id=received.event_id,
    )


@dataclass(slots=True)
class Judgement:
    """What one batch comes to: the verdicts to produce, the records that go to the
    dead-letter topic, and what the verdicts add to the metrics."""

    verdicts: list[OutboundRecord] = field(default_factory=list)
    letters: list[DeadLetter] = field(default_factory=list)
    scores: dict[str, list[int]] = field(default_factory=dict)
    rejections: Counter[str] = field(default_factory=Counter)


class BatchJudge:
    """The consumer's work without Kafka: consumed records in, records to produce out."""

    def __init__(
        self,
        *,
        catalogue: CampaignCatalogue,
        default_model: ScoringModel,
        accept_unknown_campaigns: bool,
        scored_topic: str,
        rejected_topic: str,
    ) -> None:
        self._catalogue = catalogue
        self._default_model = default_model
        self._accept_unknown = accept_unknown_campaigns
        self._scored_topic = scored_topic
        self._rejected_topic = rejected_topic

    def __call__(self, records: Sequence[ConsumerRecord[bytes, bytes]], now: datetime) -> Judgement:
        judgement = Judgement()
        letters = judgement.letters
        for record in records:
            value = record.value
            if value is None:
                letters.append(DeadLetter.undecodable(record, None, model=LeadReceived))
                continue
            try:
                received = decode_as(value, LeadReceived)
            except ValidationError as error:
                letters.append(DeadLetter.undecodable(record, error, model=LeadReceived))
                continue
            try:
                judgement.verdicts.append(self._judge(record.key, received, now, judgement))
            except Exception as error:
                # A lead this code cannot score (a bug, an unforeseen input) is
                # quarantined with its reason; the partition keeps moving.
                log.exception("scoring.failed", topic=record.topic, offset=record.offset)
                letters.append(DeadLetter.of(record, failures.crashed(error, doing="scoring")))
        return judgement

    def _judge(
        self, key: bytes | None, received: LeadReceived, now: datetime, judgement: Judgement
    ) -> OutboundRecord:
        """The verdict of one record as a record to produce; raises when it can't."""
        campaign = self._catalogue.get(received.data.lead.campaign_id)
        event = verdict(
            received,
            campaign,
            default_model=self._default_model,
            accept_unknown_campaign=self._accept_unknown,
            now=now,
        )
        if isinstance(event, LeadScored):
            label = campaign.campaign_id if campaign else "unknown"
            judgement.scores.setdefault(label, []).append(event.data.score.value)
            topic = self._scored_topic
        else:
            judgement.rejections.update(reason.code for reason in event.data.reasons)
            topic = self._rejected_topic
        return OutboundRecord(topic=topic, key=key, value=encode(event), headers=headers(event))


class ScoreReceivedLeads:
    """Batch handler for :class:`leadrouter_runtime.kafka.BatchConsumer`."""

    def __init__(
        self,
        *,
        kafka: KafkaSettings,
        producer: Any,
        catalogue: CampaignCatalogue,
        default_model: ScoringModel,
        accept_unknown_campaigns: bool,
        metrics: ScoringMetrics,
        clock: Callable[[], datetime],
    ) -> None:
        self._producer = producer
        self._metrics = metrics
        self._clock = clock
        self.judge = BatchJudge(
            catalogue=catalogue,
            default_model=default_model,
            accept_unknown_campaigns=accept_unknown_campaigns,
            scored_topic=kafka.topic(topics.LEADS_SCORED),
            rejected_topic=kafka.topic(topics.LEADS_REJECTED),
        )

    async def __call__(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> list[DeadLetter]:
        judgement = self.judge(records, self._clock())
        sent = await send_all(self._producer, judgement.verdicts)
        self._observe(records, sent, judgement)
        log.info(
            "scoring.batch",
            records=len(records),
            verdicts=len(judgement.verdicts),
            dead=len(judgement.letters),
        )
        return judgement.letters

    def _observe(
        self,
        records: Sequence[ConsumerRecord[bytes, bytes]],
        sent: Sequence[RecordMetadata],
        judgement: Judgement,
    ) -> None:
        """Metrics once per batch: label look-ups per record would cost more than scoring.
        Records consumed and dead letters are counted by the loop once committed."""
        metrics = self._metrics
        done_ms = time.time() * 1000
        for record in records:
            metrics.latency.observe(max(0.0, (done_ms - record.timestamp) / 1000))
        metrics.produced.acknowledged(sent)
        for code, count in judgement.rejections.items():
            metrics.rejections.labels(code).inc(count)
        for campaign_id, values in judgement.scores.items():
            histogram = metrics.scores.labels(campaign_id)
            for value in values:
                histogram.observe(value)
