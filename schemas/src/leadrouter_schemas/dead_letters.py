"""A dead letter's ``dlq-*`` headers (declared in :data:`~leadrouter_schemas.topics.DLQ_HEADERS`):
written by the consumer loop and the webhook's quarantine, read by the router's ops page
and ``leadrouter dlq``. One writer and one reader of the contract for all of them."""

from collections.abc import Iterable
from dataclasses import dataclass

from leadrouter_schemas.serde import Headers, header_texts
from leadrouter_schemas.topics import (
    DLQ_ERROR_LOCATION,
    DLQ_ERROR_TYPE,
    DLQ_REASON,
    DLQ_SOURCE_OFFSET,
    DLQ_SOURCE_PARTITION,
    DLQ_SOURCE_TOPIC,
)


def dead_letter_headers(
    *,
    reason: str,
    error_type: str,
    error_location: str,
    source_topic: str,
    source_partition: int | None = None,
    source_offset: int | None = None,
) -> Headers:
    """The headers a dead letter carries beside the record's own, each cut to the
    length ``DLQ_HEADERS`` declares; no partition and offset for a record that never
    was on its source topic (a delivery the webhook quarantines)."""
    headers: Headers = [
        (DLQ_REASON, reason.encode()[:4000]),
        (DLQ_ERROR_TYPE, error_type.encode()[:200]),
        (DLQ_ERROR_LOCATION, error_location.encode()[:400]),
        (DLQ_SOURCE_TOPIC, source_topic.encode()),
    ]
    if source_partition is not None:
        headers.append((DLQ_SOURCE_PARTITION, str(source_partition).encode()))
    if source_offset is not None:
        headers.append((DLQ_SOURCE_OFFSET, str(source_offset).encode()))
    return headers


@dataclass(frozen=True, slots=True)
class DeadLetterHeaders:
    """What a dead letter says about itself, as text; ``None`` where a header is missing."""

    reason: str | None
    error_type: str | None
    error_location: str | None
    source_topic: str | None
    source_partition: str | None
    source_offset: str | None

    @classmethod
    def read(cls, headers: Iterable[tuple[str, bytes | None]]) -> "DeadLetterHeaders":
        """The first value of each ``dlq-*`` header (read by :func:`header_texts`)."""
        found = header_texts(headers)
        return cls(
            reason=found.get(DLQ_REASON),
            error_type=found.get(DLQ_ERROR_TYPE),
            error_location=found.get(DLQ_ERROR_LOCATION),
            source_topic=found.get(DLQ_SOURCE_TOPIC),
            source_partition=found.get(DLQ_SOURCE_PARTITION),
            source_offset=found.get(DLQ_SOURCE_OFFSET),
        )
