"""The ``dlq-*`` headers: what the consumer loop and the quarantine write is what the
ops page and ``leadrouter dlq`` read back."""

from leadrouter_schemas.dead_letters import DeadLetterHeaders, dead_letter_headers
from leadrouter_schemas.topics import DLQ_HEADERS, DLQ_REASON


def test_what_is_written_reads_back_after_the_record_own_headers() -> None:
    written = dead_letter_headers(
        reason="data.lead.email: missing",
        error_type="missing",
        error_location="data.lead.email",
        source_topic="leads.received",
        source_partition=2,
        source_offset=41,
    )
    assert [name for name, _ in written] == [header.name for header in DLQ_HEADERS]

    said = DeadLetterHeaders.read([("event-type", b"lead.received"), *written])

    assert said == DeadLetterHeaders(
        reason="data.lead.email: missing",
        error_type="missing",
        error_location="data.lead.email",
        source_topic="leads.received",
        source_partition="2",
        source_offset="41",
    )


def test_a_quarantined_delivery_has_no_source_partition_nor_offset() -> None:
    written = dead_letter_headers(
        reason="r", error_type="t", error_location="-", source_topic="webhooks.raw"
    )
    said = DeadLetterHeaders.read(written)
    assert (said.source_topic, said.source_partition, said.source_offset) == (
        "webhooks.raw",
        None,
        None,
    )


def test_values_are_cut_to_their_declared_length_and_the_first_one_counts() -> None:
    written = dead_letter_headers(
        reason="x" * 5000, error_type="t" * 300, error_location="l" * 500, source_topic="s"
    )
    lengths = {name: len(value) for name, value in written}
    assert lengths[DLQ_REASON] == 4000
    assert sorted(lengths.values())[:3] == [1, 200, 400]
    said = DeadLetterHeaders.read([*written, (DLQ_REASON, b"a later one")])
    assert said.reason == "x" * 4000
