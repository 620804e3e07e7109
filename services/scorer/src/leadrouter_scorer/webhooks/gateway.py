"""What every webhook request goes through, whatever its platform: the rate limit,
the content type, the size limit while reading, the redelivery check, and the
publication to ``leads.received`` (answered only once Kafka acknowledged, within the
publish budget; a broker known to be unreachable is answered 503 at once)."""

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import httpx
import structlog
from aiokafka.errors import KafkaError
from fastapi import Request
from starlette.requests import ClientDisconnect

from leadrouter_runtime.kafka import OutboundRecord, send_all
from leadrouter_runtime.problems import MalformedBody, ServiceUnavailable, UnsupportedMediaType
from leadrouter_runtime.settings import KafkaSettings
from leadrouter_runtime.values import loads as load_json
from leadrouter_runtime.values import without_nul
from leadrouter_schemas import LeadReceived, encode, headers
from leadrouter_schemas import topics as topic_names
from leadrouter_scorer.webhooks import registry
from leadrouter_scorer.webhooks.adapters import ApiRead
from leadrouter_scorer.webhooks.broker import BrokerState
from leadrouter_scorer.webhooks.config import WebhookSettings
from leadrouter_scorer.webhooks.dedupe import RecentDeliveries
from leadrouter_scorer.webhooks.metrics import WebhookMetrics
from leadrouter_scorer.webhooks.platforms.common import Submission
from leadrouter_scorer.webhooks.problems import (
    PayloadTooLarge,
    PlatformUnavailable,
    TooManyRequests,
)
from leadrouter_scorer.webhooks.quarantine import (
    Delivery,
    log_quarantined,
    not_a_payload,
    quarantined,
    retryable,
)
from leadrouter_scorer.webhooks.ratelimit import TokenBucket, retry_after_header
from leadrouter_scorer.webhooks.schemas import Accepted, AcceptedLead, Ignored, Quarantined
from leadrouter_scorer.webhooks.service import campaign_of, received_event

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class IntakeTopics:
    """Where deliveries go: mapped leads, raw deliveries to map again, the quarantine."""

    received: str
    raw: str
    quarantine: str

    @classmethod
    def of(cls, kafka: KafkaSettings) -> "IntakeTopics":
        return cls(
            received=kafka.topic(topic_names.LEADS_RECEIVED),
            raw=kafka.topic(topic_names.WEBHOOKS_RAW),
            quarantine=kafka.topic(topic_names.WEBHOOKS_QUARANTINE),
        )


@dataclass
class Planned:
    """A delivery's leads: the events to publish and the answers to give."""

    topic: str
    events: list[LeadReceived] = field(default_factory=list)
    leads: list[AcceptedLead] = field(default_factory=list)
    fresh: list[tuple[str, AcceptedLead]] = field(default_factory=list)

    def records(self) -> list[OutboundRecord]:
        return [
            OutboundRecord(
                topic=self.topic,
                key=event.data.lead.lead_key.encode(),
                value=encode(event),
                headers=headers(event),
            )
            for event in self.events
        ]


def media_type_of(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


class WebhookGateway:
    def __init__(
        self,
        settings: WebhookSettings,
        *,
        metrics: WebhookMetrics,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self._monotonic = monotonic
        self._buckets: dict[str, TokenBucket] = {}
        self._recent: RecentDeliveries[AcceptedLead] = RecentDeliveries(
            ttl_s=settings.dedupe_ttl_s, max_entries=settings.dedupe_max_entries
        )
        self._http: httpx.AsyncClient | None = None
        self._broker = BrokerState(down_for_s=settings.broker_down_retry_after_s)

    async def start(self) -> None:
        self._http = httpx.AsyncClient(timeout=self.settings.facebook.graph_timeout_s)

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def admit(self, source: str) -> None:
        """429 once the source's token bucket is empty (per process), when the source has
        a ``rate_limit_per_second`` (none by default: see ``webhooks.limits``)."""
        bucket = self._buckets.get(source)
        if bucket is None:
            settings = self.settings.source(source)
            if settings.rate_limit_per_second is None:
                return
            bucket = TokenBucket(settings.rate_limit_per_second, settings.rate_limit_burst)
            self._buckets[source] = bucket
        wait_s = bucket.take(self._monotonic())
        if wait_s > 0:
            raise TooManyRequests(
                f"Over the rate limit of {source}; retry later.",
                headers={"Retry-After": retry_after_header(wait_s)},
            )

    async def read_body(self, request: Request, *, media_types: frozenset[str]) -> bytes:
        """The raw body (signatures are over these bytes), refused as soon as it is
        known to be over the limit: from ``Content-Length``, else while streaming."""
        media_type = media_type_of(request)
        if media_type.endswith("+json") and "application/json" in media_types:
            media_type = "application/json"  # a structured-syntax suffix (RFC 6839)
        if media_type not in media_types:
            expected = " or ".join(sorted(media_types))
            raise UnsupportedMediaType(
                f"Expected {expected}, got {media_type or 'no content type'}."
            )
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                raise MalformedBody("Content-Length is not a number.")
            if int(declared) > limit:
                raise PayloadTooLarge(f"The body is over {limit} bytes.")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"The body is over {limit} bytes.")
                chunks.append(chunk)
        except ClientDisconnect as error:
            raise MalformedBody("The body was cut short.") from error
        return b"".join(chunks)

    def already_accepted(self, source: str, delivery_id: str) -> AcceptedLead | None:
        return self._recent.get(source, delivery_id, now=self._monotonic())

    async def api_get(self, read: ApiRead) -> dict[str, Any]:
        """A platform API's JSON object; any failure is 503 so that nothing is stored
        and the platform's delivery (or the replay) comes again."""
        assert self._http is not None, "WebhookGateway.start() was not awaited"
        try:
            response = await self._http.get(
                read.url, headers=read.headers, params=read.params, timeout=read.timeout_s
            )
            body = without_nul(load_json(response.content)) if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as error:
            failure = type(error).__name__
            log.error("webhook.api_failed", platform=read.platform, what=read.what, error=failure)
            raise PlatformUnavailable(
                f"The {read.platform} API did not answer; nothing was stored.",
                headers={"Retry-After": "60"},
            ) from error
        if not isinstance(body, dict):
            status = response.status_code
            log.error("webhook.api_failed", platform=read.platform, what=read.what, status=status)
            raise PlatformUnavailable(
                f"The {read.platform} API answered {response.status_code} for the {read.what}; "
                "nothing was stored.",
                headers={"Retry-After": "60"},
            )
        return body

    async def _publish(self, source: str, producer: Any, records: list[OutboundRecord]) -> None:
        """Publish within the budget, or 503: at once while Kafka is known unreachable.
        A send cut off by the budget may still land later; the platform's retry then
        carries the same event id, which the consumers drop (decision 0002)."""
        if (wait_s := self._broker.wait_s(self._monotonic())) is not None:
            raise ServiceUnavailable(
                "Kafka is unreachable; nothing was stored, send it again.",
                headers={"Retry-After": retry_after_header(wait_s)},
            )
        started = self._monotonic()
        try:
            async with asyncio.timeout(self.settings.publish_timeout_s):
                await send_all(producer, records)
        except TimeoutError as error:
            self.metrics.broker_unreachable.inc()
            if not self._broker.timed_out(started, self._monotonic()):
                # Others were acknowledged meanwhile: Kafka is up, this one was slow.
                log.warning("webhook.publish_slow", source=source)
                raise ServiceUnavailable(
                    "The lead was not stored in time; send it again.",
                    headers={"Retry-After": "1"},
                ) from error
            self._unreachable(source, error)
        except KafkaError as error:
            self.metrics.broker_unreachable.inc()
            self._broker.failed(self._monotonic())
            self._unreachable(source, error)
        self._broker.succeeded(self._monotonic())

    def _unreachable(self, source: str, error: BaseException) -> NoReturn:
        log.error("webhook.publish_failed", source=source, error=repr(error))
        raise ServiceUnavailable(
            "The lead could not be stored; send it again.",
            headers={"Retry-After": str(self.settings.broker_down_retry_after_s)},
        ) from error

    async def receive(
        self, delivery: Delivery, *, producer: Any, topics: IntakeTopics
    ) -> Accepted | Ignored | Quarantined:
        """Map, then publish; an authentic delivery that cannot be mapped is quarantined
        (raw, with the reason) rather than refused. A platform API or Kafka failure is
        503 instead: nothing is kept and the platform sends the request again."""
        try:
            mapped = await registry.submissions(delivery, self)
            if isinstance(mapped, Ignored):
                return mapped
            plan = self.plan(delivery, mapped, topic=topics.received)
        except Exception as error:
            if retryable(error) or not delivery.authenticated or not_a_payload(error):
                raise
            return await self.quarantine(delivery, error, producer=producer, topics=topics)
        return await self.publish(delivery, plan, producer=producer)

    def plan(self, delivery: Delivery, submissions: Sequence[Submission], *, topic: str) -> Planned:
        """The records of the new submissions, the earlier answers of redelivered ones;
        raises when a lead cannot be made (no campaign, a field out of bounds)."""
        source = delivery.source
        settings = self.settings.source(source)
        planned = Planned(topic=topic)
        for submission in submissions:
            earlier = self.already_accepted(source, submission.delivery_id)
            if earlier is not None:
                planned.leads.append(earlier.model_copy(update={"duplicate": True}))
                continue
            campaign_id = campaign_of(submission, requested=delivery.campaign_id, settings=settings)
            event = received_event(
                source,
                submission,
                campaign_id=campaign_id,
                correlation_id=delivery.correlation_id,
                now=delivery.received_at,
            )
            lead = event.data.lead
            accepted = AcceptedLead(
                event_id=event.event_id,
                lead_key=lead.lead_key,
                correlation_id=delivery.correlation_id,
            )
            planned.leads.append(accepted)
            planned.fresh.append((submission.delivery_id, accepted))
            planned.events.append(event)
        return planned

    async def publish(self, delivery: Delivery, planned: Planned, *, producer: Any) -> Accepted:
        """Publish the new ones, answer the redelivered ones from memory; 202 after the ack."""
        source = delivery.source
        if planned.events:
            await self._publish(source, producer, planned.records())
        for delivery_id, accepted in planned.fresh:
            self._recent.put(source, delivery_id, accepted, now=self._monotonic())
        for item in planned.leads:
            log.info(
                "webhook.duplicate" if item.duplicate else "webhook.received",
                source=source,
                lead_key=item.lead_key,
                event_id=str(item.event_id),
                correlation_id=item.correlation_id,
            )
        first = planned.leads[0]
        return Accepted(
            event_id=first.event_id,
            lead_key=first.lead_key,
            correlation_id=first.correlation_id,
            received_at=delivery.received_at,
            duplicate=all(item.duplicate for item in planned.leads),
            leads=planned.leads,
        )

    async def quarantine(
        self, delivery: Delivery, error: Exception, *, producer: Any, topics: IntakeTopics
    ) -> Quarantined:
        reason, record = quarantined(
            delivery, error, quarantine_topic=topics.quarantine, raw_topic=topics.raw
        )
        await self._publish(delivery.source, producer, [record])
        self.metrics.quarantined.labels(source=delivery.source).inc()
        log_quarantined("webhook.quarantined", delivery, reason)
        return Quarantined(
            reason=reason.reason,
            location=reason.location,
            correlation_id=delivery.correlation_id,
            received_at=delivery.received_at,
        )
