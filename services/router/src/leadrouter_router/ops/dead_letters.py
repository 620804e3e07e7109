"""What a dead letter says, for people: the reason and where it came from (the
``dlq-*`` headers, read by ``leadrouter_schemas.dead_letters``), the lead's
correlation id, and the start of the original value: the ops API's ``DeadLetterOut``."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from leadrouter_router.ops.schemas import DeadLetterOut
from leadrouter_schemas.dead_letters import DeadLetterHeaders
from leadrouter_schemas.serde import HEADER_CORRELATION_ID, HEADER_EVENT_TYPE, header_texts

PREVIEW_CHARS = 240


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("utf-8", errors="replace")


def _number(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def describe(record: Any) -> DeadLetterOut:
    """``record`` is an aiokafka ``ConsumerRecord`` of a dead-letter topic."""
    headers = header_texts(record.headers or ())
    said = DeadLetterHeaders.read(record.headers or ())
    value: bytes = record.value or b""
    return DeadLetterOut(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        dead_lettered_at=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        key=_text(record.key),
        reason=said.reason,
        error_type=said.error_type,
        error_location=said.error_location,
        source_topic=said.source_topic,
        source_partition=_number(said.source_partition),
        source_offset=_number(said.source_offset),
        event_type=headers.get(HEADER_EVENT_TYPE),
        correlation_id=headers.get(HEADER_CORRELATION_ID),
        size_bytes=len(value),
        preview=value[: PREVIEW_CHARS * 4].decode("utf-8", errors="replace")[:PREVIEW_CHARS],
    )


def newest_first(views: Sequence[DeadLetterOut], *, limit: int) -> list[DeadLetterOut]:
    return sorted(views, key=lambda v: (v.dead_lettered_at, v.offset), reverse=True)[:limit]
