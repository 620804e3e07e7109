"""Events on the wire: JSON values, and the headers that let a reader route them
without parsing the body (type, version, ids)."""

from collections.abc import Iterable
from typing import Annotated, Final, TypeVar

from pydantic import Field, TypeAdapter

from leadrouter_schemas.campaigns import CampaignConfigured
from leadrouter_schemas.envelope import Event
from leadrouter_schemas.leads import (
    LeadAssigned,
    LeadOutcomeRecorded,
    LeadReceived,
    LeadRejected,
    LeadScored,
)

AnyEvent = Annotated[
    LeadReceived
    | LeadScored
    | LeadRejected
    | LeadAssigned
    | LeadOutcomeRecorded
    | CampaignConfigured,
    Field(discriminator="type"),
]

EVENT_TYPES: Final[tuple[type[Event], ...]] = (
    LeadReceived,
    LeadScored,
    LeadRejected,
    LeadAssigned,
    LeadOutcomeRecorded,
    CampaignConfigured,
)

E = TypeVar("E", bound=Event)

_any_event: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)

Headers = list[tuple[str, bytes]]

HEADER_EVENT_TYPE: Final = "event-type"
HEADER_EVENT_ID: Final = "event-id"
HEADER_SCHEMA_VERSION: Final = "schema-version"
HEADER_CORRELATION_ID: Final = "correlation-id"


def encode(event: Event) -> bytes:
    # What ``model_dump_json().encode()`` gives, without its keyword plumbing and
    # the bytes -> str -> bytes round trip: the serializer writes UTF-8 bytes.
    return event.__pydantic_serializer__.to_json(event)


def header_values(event: Event) -> dict[str, str]:
    """The headers of ``event``'s record, as text: the one place they are built
    (:func:`headers` encodes them; the router's outbox stores them as they are)."""
    return {
        HEADER_EVENT_TYPE: event.type,
        HEADER_EVENT_ID: str(event.event_id),
        HEADER_SCHEMA_VERSION: str(event.schema_version),
        HEADER_CORRELATION_ID: event.correlation_id,
    }


def headers(event: Event) -> Headers:
    """The headers of ``event``'s record, as Kafka takes them."""
    return [(name, value.encode()) for name, value in header_values(event).items()]


def header_texts(headers: Iterable[tuple[str, bytes | None]]) -> dict[str, str]:
    """A record's headers as text, the first value of each name (UTF-8, undecodable
    bytes replaced; a header without a value reads ``-``)."""
    texts: dict[str, str] = {}
    for name, value in headers:
        if name not in texts:
            texts[name] = "-" if value is None else bytes(value).decode(errors="replace")
    return texts


def decode(value: bytes) -> AnyEvent:
    """Parse any known event; raises ``pydantic.ValidationError`` otherwise."""
    return _any_event.validate_json(value)


def decode_as(value: bytes, event_type: type[E]) -> E:
    """Parse one expected event type; raises ``pydantic.ValidationError`` otherwise."""
    # The validator ``model_validate_json`` calls, without its keyword plumbing.
    event: E = event_type.__pydantic_validator__.validate_json(value)
    return event
