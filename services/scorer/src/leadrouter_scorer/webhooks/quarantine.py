"""Authentic deliveries we cannot map: kept raw on the quarantine topic, never refused.

A quarantined record is the dead letter of ``webhooks.raw``: the request body's bytes
as they came, keyed by source and body digest, with the platform, content type,
campaign and correlation id in headers (what mapping it again needs) and the reason,
error type and field in the ``dlq-*`` headers. No signature, token or key is kept: the
request was authentic when it came, and replaying it does not check that again
(docs/decisions/0105-quarantine-and-replay.md).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from fastapi.exceptions import RequestValidationError

from leadrouter_runtime import failures
from leadrouter_runtime.failures import MAX_ERRORS_NAMED, NO_LOCATION, Failure
from leadrouter_runtime.kafka import OutboundRecord
from leadrouter_runtime.problems import MalformedBody, Problem
from leadrouter_runtime.values import JsonTooDeepError
from leadrouter_schemas import topics
from leadrouter_schemas.dead_letters import dead_letter_headers
from leadrouter_schemas.serde import HEADER_CORRELATION_ID, Headers, header_texts
from leadrouter_scorer.webhooks.platforms.common import body_digest


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


def retryable(error: Exception) -> bool:
    """A failure the platform should retry (a platform's API or Kafka is down), not
    a failure to map: answered 503, never quarantined."""
    return isinstance(error, Problem) and error.status >= 500


def not_a_payload(error: Exception) -> bool:
    """A body no platform sends: JSON nested deeper than any payload (a parser attack,
    ``leadrouter_runtime.values``). It stays a 4xx: not ours, nothing to keep."""
    return isinstance(error.__cause__, JsonTooDeepError)


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,60}$")
_JSON_POSITION = re.compile(r"line \d+ column \d+")


def _path(loc: Sequence[object]) -> str:
    # A dict key from the body could be personal data: only names that look like ours.
    parts = [str(p) if isinstance(p, int) or _NAME.match(str(p)) else "*" for p in loc]
    return ".".join(parts) or NO_LOCATION


def reason_of(error: Exception) -> Failure:
    """Why a delivery could not be mapped, by error type and field, never by its values
    (as every dead letter says it: ``leadrouter_runtime.failures``)."""
    if isinstance(error, RequestValidationError):  # UnmappablePayload, the parsers' own
        named = [(str(e.get("type", "invalid")), _path(e.get("loc", ()))) for e in error.errors()]
        named = named or [("invalid", NO_LOCATION)]
        listed = "; ".join(f"{kind} at {where}" for kind, where in named[:MAX_ERRORS_NAMED])
        more = len(named) - MAX_ERRORS_NAMED
        reason = f"cannot map: {listed}" + (f" (and {more} more)" if more > 0 else "")
        return Failure(named[0][0], named[0][1], reason)
    if isinstance(error, MalformedBody):
        found = _JSON_POSITION.search(error.detail or "")
        where = found.group(0) if found else NO_LOCATION
        return Failure("body_unreadable", where, f"cannot map: unreadable body at {where}")
    if isinstance(error, Problem):
        return Failure(type(error).__name__, NO_LOCATION, f"cannot map: {error.title}")
    # A failure of our own mapping code: its message may quote the input, its type not.
    return failures.crashed(error, doing="mapping")


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
    delivery: Delivery, reason: Failure, *, quarantine_topic: str, raw_topic: str
) -> OutboundRecord:
    """The delivery as a dead letter of ``raw_topic``, so that ``leadrouter dlq replay``
    puts it there to be mapped again."""
    headers: Headers = [
        *delivery_headers(delivery),
        *dead_letter_headers(
            reason=reason.reason,
            error_type=reason.error_type,
            error_location=reason.location,
            source_topic=raw_topic,
        ),
    ]
    key = f"{delivery.source}:{body_digest(delivery.body)}"
    return OutboundRecord(
        topic=quarantine_topic, key=key.encode(), value=delivery.body, headers=headers
    )


class NotADeliveryError(ValueError):
    """A record of ``webhooks.raw`` without the headers of a delivery."""


def delivery_of(value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> Delivery:
    """The delivery a ``webhooks.raw`` record carries (as written by the quarantine)."""
    found = header_texts(headers)
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


def quarantined(
    delivery: Delivery, error: Exception, *, quarantine_topic: str, raw_topic: str
) -> tuple[Failure, OutboundRecord]:
    """Why ``delivery`` cannot be mapped, and its record for the quarantine."""
    reason = reason_of(error)
    record = quarantine_record(
        delivery, reason, quarantine_topic=quarantine_topic, raw_topic=raw_topic
    )
    return reason, record


def log_quarantined(event: str, delivery: Delivery, reason: Failure) -> None:
    why = {"reason": reason.reason, "error_type": reason.error_type, "location": reason.location}
    log = structlog.get_logger(__name__)
    log.warning(event, source=delivery.source, correlation_id=delivery.correlation_id, **why)
