"""How a consumer reads a batch: the events it expects, a dead letter for each record
that is not one, in the order consumed."""

from aiokafka import ConsumerRecord

from leadrouter_runtime.kafka import decode_all
from leadrouter_schemas import LeadScored, encode
from tests.support.samples import scored


def _record(offset: int, value: bytes | None) -> ConsumerRecord[bytes, bytes]:
    size = -1 if value is None else len(value)
    return ConsumerRecord("leads.scored", 0, offset, 0, 0, None, value, None, 0, size, [])


def test_decodes_the_events_and_dead_letters_the_rest_in_order() -> None:
    first, second = scored("ada@example.com"), scored("grace@example.com")
    records = [
        _record(0, encode(first)),
        _record(1, None),
        _record(2, b'{"not": "an event"}'),
        _record(3, encode(second)),
    ]

    events, letters = decode_all(records, LeadScored)

    assert [e.event_id for e in events] == [first.event_id, second.event_id]
    assert [(x.record.offset, x.error_type) for x in letters] == [(1, "tombstone"), (2, "missing")]
    assert letters[0].reason == "not a LeadScored v1: empty value (tombstone)"
