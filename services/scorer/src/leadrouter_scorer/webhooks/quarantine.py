"""Authentic deliveries we cannot map: kept raw on the quarantine topic, never refused.

A quarantined record is the dead letter of ``webhooks.raw``: the request body's bytes
as they came, keyed by source and body digest, with the platform, content type,
campaign and correlation id in headers (what mapping it again needs) and the reason,
error type and field in the ``dlq-*`` headers. No signature, token or key is kept: the
request was authentic when it came, and replaying it does not check that again
(docs/decisions/0102-quarantine-and-replay.md).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi.exceptions import RequestValidationError

from leadrouter_runtime.kafka import OutboundRecord
from leadrouter_runtime.problems import Problem
from leadrouter_schemas import topics
from leadrouter_schemas.serde import HEADER_CORRELATION_ID, Headers
from leadrouter_scorer.webhooks.platforms.common import Unmappable, body_digest

_MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Delivery:
    """An authentic webhook request, as much of it as mapping needs (and no secret)."""

    source: str
    body: bytes
    content_type: str
    campaign_id: str | None
    correlation_id: str
    received_at: datetime
    authenticated: bool = True  # False: an open source (no secret set); never quarantined


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a delivery could not be mapped, without any of its values."""

    text: str
    error_type: str
    location: str | None


def retryable(error: Exception) -> bool:
    """A failure the platform should retry (a platform's API or Kafka is down), not
    a failure to map: answered 503, never quarantined."""
    return isinstance(error, Problem) and error.status >= 500


def reason_of(error: Exception) -> Reason:
    """The reason of a mapping failure, by field and message; never the input (a
    pydantic error carries the offending value: it is left out)."""
    if isinstance(error, Unmappable):
        return Reason(error.reason[:_MAX_REASON], "Unmappable", error.location)
    if isinstance(error, RequestValidationError):
        errors: Sequence[dict[str, object]] = list(error.errors())
        first = errors[0] if errors else {}
        loc = first.get("loc", ())
        location = ".".join(str(part) for part in loc) if isinstance(loc, tuple | list) else None
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        text = f"{location or 'body'}: {first.get('msg', 'invalid')}{more}"
        return Reason(text[:_MAX_REASON], f"validation.{first.get('type', 'error')}", location)
    if isinstance(error, Problem):
        return Reason((error.detail or error.title)[:_MAX_REASON], type(error).__name__, None)
    # A failure of our own mapping code: its message may quote the input, its type not.
    return Reason(f"mapping failed with {type(error).__name__}", type(error).__name__, None)


def delivery_headers(delivery: Delivery) -> Headers:
    headers: Headers = [
        (topics.WEBHOOK_SOURCE, delivery.source.encode()),
        (topics.WEBHOOK_CONTENT_TYPE, delivery.content_type.encode()),
        (HEADER_CORRELATION_ID, delivery.correlation_id.encode()),
        (topics.WEBHOOK_RECEIVED_AT, delivery.received_at.isoformat().encode()),
    ]
    if delivery.campaign_id is not None:
        headers.append((topics.WEBHOOK_CAMPAIGN_ID, delivery.campaign_id.encode()))
    return headers


def quarantine_record(
    delivery: Delivery, reason: Reason, *, quarantine_topic: str, raw_topic: str
) -> OutboundRecord:
    """The delivery as a dead letter of ``raw_topic``, so that ``leadrouter dlq replay``
    puts it there to be mapped again."""
    headers: Headers = [
        *delivery_headers(delivery),
        (topics.DLQ_REASON, reason.text.encode()),
        (topics.DLQ_ERROR_TYPE, reason.error_type.encode()),
        (topics.DLQ_SOURCE_TOPIC, raw_topic.encode()),
    ]
    if reason.location:
        headers.append((topics.DLQ_ERROR_LOCATION, reason.location.encode()))
    key = f"{delivery.source}:{body_digest(delivery.body)}"
    return OutboundRecord(
        topic=quarantine_topic, key=key.encode(), value=delivery.body, headers=headers
    )


class NotADeliveryError(ValueError):
    """A record of ``webhooks.raw`` without the headers of a delivery."""


def delivery_of(value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> Delivery:
    """The delivery a ``webhooks.raw`` record carries (as written by the quarantine)."""
    found: dict[str, str] = {}
    for name, raw in headers:
        found.setdefault(name, bytes(raw).decode("utf-8", errors="replace"))
    source = found.get(topics.WEBHOOK_SOURCE)
    if not source:
        raise NotADeliveryError(f"no {topics.WEBHOOK_SOURCE} header")
    try:
        received_at = datetime.fromisoformat(found.get(topics.WEBHOOK_RECEIVED_AT, ""))
    except ValueError:
        received_at = datetime.now(UTC)
    return Delivery(
        source=source,
        body=value or b"",
        content_type=found.get(topics.WEBHOOK_CONTENT_TYPE, ""),
        campaign_id=found.get(topics.WEBHOOK_CAMPAIGN_ID),
        correlation_id=found.get(HEADER_CORRELATION_ID) or body_digest(value or b""),
        received_at=received_at if received_at.tzinfo else received_at.replace(tzinfo=UTC),
    )
