"""Every topic of the system, declared once: name, key, events, headers, retention,
partitions, who writes and who reads it, and its dead-letter topic.

Everything else follows from :data:`TOPICS`: ``deploy/kafka/topics.toml`` (which
``python -m leadrouter_runtime.topics`` creates), the README's topic table and the
AsyncAPI document ``schemas/asyncapi.yaml`` are generated from it by ``make schemas``,
and tests fail when a committed copy drifts (or when a record on the wire lacks a
declared header).

Services add a deployment prefix (``Settings.kafka.topic_prefix``) in front of
these names, which is how tests run side by side on one broker.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from leadrouter_schemas.campaigns import CampaignConfigured
from leadrouter_schemas.envelope import Event
from leadrouter_schemas.leads import (
    LeadAssigned,
    LeadOutcomeRecorded,
    LeadReceived,
    LeadRejected,
    LeadScored,
)
from leadrouter_schemas.serde import (
    HEADER_CORRELATION_ID,
    HEADER_EVENT_ID,
    HEADER_EVENT_TYPE,
    HEADER_SCHEMA_VERSION,
)

LEADS_RECEIVED: Final = "leads.received"
LEADS_SCORED: Final = "leads.scored"
LEADS_REJECTED: Final = "leads.rejected"
LEADS_ASSIGNED: Final = "leads.assigned"
LEADS_OUTCOMES: Final = "leads.outcomes"
CAMPAIGNS_CONFIG: Final = "config.campaigns"

DLQ_SUFFIX: Final = ".dlq"

# Headers a dead letter carries beside the original record's own (the contract that
# the consumer loop writes and ops tools read). None of them holds input bytes: the
# error is named by its type and where it is, never by an excerpt of the record.
DLQ_REASON: Final = "dlq-reason"
DLQ_ERROR_TYPE: Final = "dlq-error-type"
DLQ_ERROR_LOCATION: Final = "dlq-error-location"
DLQ_SOURCE_TOPIC: Final = "dlq-source-topic"
DLQ_SOURCE_PARTITION: Final = "dlq-source-partition"
DLQ_SOURCE_OFFSET: Final = "dlq-source-offset"

DAY_MS: Final = 24 * 60 * 60 * 1000


def dead_letter(topic: str) -> str:
    """The dead-letter topic of ``topic`` (same key, the reason in headers)."""
    return f"{topic}{DLQ_SUFFIX}"


@dataclass(frozen=True, slots=True)
class Header:
    """A Kafka record header: its name, what it holds, and the form of its value."""

    name: str
    description: str
    pattern: str | None = None


EVENT_HEADERS: Final[tuple[Header, ...]] = (
    Header(HEADER_EVENT_TYPE, "The event's `type`, e.g. `lead.scored`.", r"^[a-z_]+\.[a-z_]+$"),
    Header(HEADER_EVENT_ID, "The event's `event_id` (a UUID); consumers dedupe on it.",
           r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
    Header(HEADER_SCHEMA_VERSION, "The event's `schema_version`.", r"^[1-9][0-9]*$"),
    Header(HEADER_CORRELATION_ID, "The event's `correlation_id`: follows one lead "
           "from the webhook to the CRM.", r"^.{1,128}$"),
)  # fmt: skip

DLQ_HEADERS: Final[tuple[Header, ...]] = (
    Header(DLQ_REASON, "Why the record could not be processed, as error types and "
           "locations (never input bytes).", r"^.{1,4000}$"),
    Header(DLQ_ERROR_TYPE, "The error's type: a pydantic error type (`missing`, "
           "`json_invalid`), `tombstone`, or an exception class.", r"^[A-Za-z0-9_.]{1,200}$"),
    Header(DLQ_ERROR_LOCATION, "Where: the field path (`data.lead.contact.email`), the "
           "JSON position (`line 1 column 7`), or the code (`module:line`); `-` if none.",
           r"^.{1,400}$"),
    Header(DLQ_SOURCE_TOPIC, "The topic the record was consumed from.", r"^[A-Za-z0-9._-]+$"),
    Header(DLQ_SOURCE_PARTITION, "Its partition there.", r"^[0-9]+$"),
    Header(DLQ_SOURCE_OFFSET, "Its offset there.", r"^[0-9]+$"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Topic:
    """One topic and its contract.

    ``events`` are the pydantic models of what its records hold (type and version are
    the models' ``type`` and ``schema_version``); ``headers`` are on every record.
    ``dead_letter_writers`` are the consumers that dead-letter (all of them if empty).
    A dead-letter topic has ``dead_letter_of`` set: its records are the source's
    records as they were (key, value and headers, whatever they were), plus
    :data:`DLQ_HEADERS`, which are the ones declared.
    """

    name: str
    summary: str
    key: str
    events: tuple[type[Event], ...]
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    headers: tuple[Header, ...] = EVENT_HEADERS
    partitions: int = 3
    retention_ms: int = 7 * DAY_MS
    compacted: bool = False
    tombstone: str | None = None
    extra_config: Mapping[str, str] = field(default_factory=dict)
    has_dead_letter: bool = False
    dead_letter_writers: tuple[str, ...] = ()
    dead_letter_of: str | None = None

    @property
    def config(self) -> dict[str, str]:
        """Its Kafka topic configuration."""
        return {
            "cleanup.policy": "compact" if self.compacted else "delete",
            "retention.ms": str(self.retention_ms),
            **self.extra_config,
        }

    def dead_letter_topic(self) -> "Topic":
        """The declaration of its dead-letter topic."""
        return Topic(
            name=dead_letter(self.name),
            summary=f"Records of `{self.name}` that could not be processed, as they were, "
            "with the reason in headers; the consumer moved on.",
            key="as the source",
            events=self.events,
            producers=self.dead_letter_writers or self.consumers,
            consumers=("ops",),
            headers=DLQ_HEADERS,
            partitions=1,
            retention_ms=30 * DAY_MS,
            dead_letter_of=self.name,
        )

    def event_types(self) -> list[tuple[str, int]]:
        """``(type, schema_version)`` of each event it carries."""
        return [
            (e.model_fields["type"].default, e.model_fields["schema_version"].default)
            for e in self.events
        ]


LEAD_KEY: Final = "lead key (`source:external_id`, else `email:<lower-cased e-mail>`)"

_PIPELINE: Final[tuple[Topic, ...]] = (
    Topic(
        name=LEADS_RECEIVED,
        summary="Campaign responses as the webhooks received and normalised them.",
        key=LEAD_KEY,
        events=(LeadReceived,),
        producers=("scorer webhooks", "platforms"),
        consumers=("scorer",),
        has_dead_letter=True,
    ),
    Topic(
        name=LEADS_SCORED,
        summary="Leads that met their campaign's criteria, with the explained value score.",
        key=LEAD_KEY,
        events=(LeadScored,),
        producers=("scorer",),
        consumers=("router",),
        has_dead_letter=True,
    ),
    Topic(
        name=LEADS_REJECTED,
        summary="Leads that failed their campaign's criteria, every failed criterion coded.",
        key=LEAD_KEY,
        events=(LeadRejected,),
        producers=("scorer",),
        consumers=("router (funnel counts)", "ops", "marketing"),
        retention_ms=30 * DAY_MS,
        has_dead_letter=True,
        dead_letter_writers=("router",),
    ),
    Topic(
        name=LEADS_ASSIGNED,
        summary="Assignments of leads to salespeople, in the router's order (outbox).",
        key="lead id",
        events=(LeadAssigned,),
        producers=("router (outbox)",),
        consumers=("CRM connectors", "ops"),
    ),
    Topic(
        name=LEADS_OUTCOMES,
        summary="What became of an assignment: accepted, rejected, contacted, won, lost.",
        key="lead id",
        events=(LeadOutcomeRecorded,),
        producers=("router API (outbox)",),
        # The router reads outcomes from its own tables, written in the callback's
        # transaction; the topic is for readers outside (decision 0609).
        consumers=("external readers (reporting, CRM connectors)",),
        retention_ms=30 * DAY_MS,
    ),
    Topic(
        name=CAMPAIGNS_CONFIG,
        summary="The latest version of each campaign, kept forever (compacted).",
        key="campaign id",
        events=(CampaignConfigured,),
        producers=("router",),
        consumers=("scorer",),
        partitions=1,
        retention_ms=-1,
        compacted=True,
        tombstone="deleted",
        extra_config={"min.cleanable.dirty.ratio": "0.1"},
    ),
)

TOPICS: Final[tuple[Topic, ...]] = (
    *_PIPELINE,
    *(topic.dead_letter_topic() for topic in _PIPELINE if topic.has_dead_letter),
)
"""Every topic, pipeline topics first, then the dead-letter topics."""

_BY_NAME: Final[dict[str, Topic]] = {topic.name: topic for topic in TOPICS}


def declared(name: str, *, prefix: str = "") -> Topic:
    """The declaration of topic ``name`` (given with or without ``prefix``)."""
    if prefix and name.startswith(prefix):
        name = name[len(prefix) :]
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no topic {name!r} is declared") from None
