"""A dead letter as people read it, from the headers the consumer loop writes."""

from datetime import UTC, datetime

from aiokafka import ConsumerRecord

from leadrouter_router.ops.dead_letters import PREVIEW_CHARS, describe


def record(value: bytes | None, headers: list[tuple[str, bytes]]) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="leads.scored.dlq",
        partition=0,
        offset=7,
        timestamp=1_764_320_400_000,
        timestamp_type=0,
        key=b"email:ada@example.com",
        value=value,
        checksum=None,
        serialized_key_size=21,
        serialized_value_size=len(value or b""),
        headers=headers,
    )


def test_the_reason_source_and_correlation_id_come_from_the_headers() -> None:
    view = describe(
        record(
            b'{"broken": ',
            [
                ("correlation-id", b"corr-9"),
                ("event-type", b"lead.scored"),
                ("dlq-reason", b"not a LeadScored v1: json_invalid at line 1 column 12"),
                ("dlq-error-type", b"json_invalid"),
                ("dlq-error-location", b"line 1 column 12"),
                ("dlq-source-topic", b"leads.scored"),
                ("dlq-source-partition", b"2"),
                ("dlq-source-offset", b"41"),
            ],
        )
    )
    assert view.reason == "not a LeadScored v1: json_invalid at line 1 column 12"
    assert (view.error_type, view.error_location) == ("json_invalid", "line 1 column 12")
    assert (view.source_topic, view.source_partition, view.source_offset) == ("leads.scored", 2, 41)
    assert (view.correlation_id, view.event_type) == ("corr-9", "lead.scored")
    assert view.key == "email:ada@example.com"
    assert view.dead_lettered_at == datetime(2025, 11, 28, 9, 0, tzinfo=UTC)
    assert view.preview == '{"broken": '


def test_a_record_without_headers_or_text_is_still_shown() -> None:
    view = describe(record(b"\xff\xfe" + b"x" * 1000, []))
    assert view.reason is None
    assert view.source_offset is None
    assert view.size_bytes == 1002
    assert len(view.preview) == PREVIEW_CHARS
    assert view.preview.startswith("\ufffd\ufffd")
