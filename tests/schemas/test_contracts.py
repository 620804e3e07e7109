import json
import uuid
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from leadrouter_schemas import EVENT_TYPES, Event, LeadScored, decode, decode_as, encode, headers
from leadrouter_schemas.jsonschema import DEFAULT_DIR, documents
from tests.support.samples import one_of_each, received


@pytest.mark.parametrize("event", one_of_each(), ids=lambda e: e.type)
def test_every_event_round_trips_through_json(event: Event) -> None:
    assert decode(encode(event)) == event


def test_there_is_an_example_of_every_event_type() -> None:
    assert {type(e) for e in one_of_each()} == set(EVENT_TYPES)


@pytest.mark.parametrize("event", one_of_each(), ids=lambda e: e.type)
def test_every_event_validates_against_its_committed_json_schema(event: Event) -> None:
    name = f"{event.type}.v{event.schema_version}.json"
    schema = json.loads((DEFAULT_DIR / name).read_text())
    jsonschema.validate(json.loads(encode(event)), schema)


def test_committed_json_schemas_equal_the_generated_ones() -> None:
    committed = {path.name: path.read_text() for path in Path(DEFAULT_DIR).glob("*.json")}
    assert committed == documents(), (
        "schemas/json is stale: run `uv run python -m leadrouter_schemas.jsonschema`"
    )


def test_decode_refuses_an_unknown_event_type() -> None:
    body = json.loads(encode(received()))
    body["type"] = "lead.teleported"
    with pytest.raises(ValidationError):
        decode(json.dumps(body).encode())


def test_decode_as_refuses_another_event_type() -> None:
    with pytest.raises(ValidationError):
        decode_as(encode(received()), LeadScored)


def test_headers_carry_type_id_version_and_correlation() -> None:
    event = received(correlation_id="corr-42")
    assert dict(headers(event)) == {
        "event-type": b"lead.received",
        "event-id": str(event.event_id).encode(),
        "schema-version": b"1",
        "correlation-id": b"corr-42",
    }


def test_a_consumer_tolerates_fields_added_by_a_newer_producer() -> None:
    body = json.loads(encode(received()))
    body["data"]["lead"]["added_later"] = True
    assert decode(json.dumps(body).encode()).event_id == uuid.UUID(body["event_id"])


def test_naive_times_are_refused() -> None:
    body = json.loads(encode(received()))
    body["occurred_at"] = "2026-11-28T09:30:00"
    with pytest.raises(ValidationError, match="timezone"):
        decode(json.dumps(body).encode())
