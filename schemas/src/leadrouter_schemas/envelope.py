"""The envelope every event carries, whatever its topic.

Consumers deduplicate by ``event_id``; ``correlation_id`` follows one lead from
the webhook to the CRM; ``causation_id`` names the event this one was made from.
"""

from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

CORRELATION_ID_MAX_LENGTH = 128
"""The one limit of a correlation id: headers, columns and API filters follow it."""


class Contract(BaseModel):
    """Base of every contract: immutable; unknown fields are ignored (tolerant reader),
    so a producer may add an optional field without breaking older consumers."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Event(Contract):
    """Envelope fields; each event fixes ``type`` and ``schema_version`` and adds ``data``."""

    event_id: UUID = Field(default_factory=uuid4, description="Unique id; consumers dedupe on it.")
    type: str
    schema_version: int
    occurred_at: AwareDatetime = Field(description="When the fact happened (UTC, RFC 3339).")
    source: str = Field(
        min_length=1, description="Who emitted it, e.g. `scorer` or `webhook:hubspot`."
    )
    correlation_id: str = Field(
        min_length=1,
        max_length=CORRELATION_ID_MAX_LENGTH,
        description="Follows one lead through every topic.",
    )
    causation_id: UUID | None = Field(
        default=None, description="The event_id of the event this one was derived from."
    )
