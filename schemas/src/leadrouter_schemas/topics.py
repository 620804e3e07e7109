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
# Authentic webhook deliveries as they came (raw body, platform, content type): the
# scorer maps them to leads.received. Its dead-letter topic is the quarantine, where
# the webhook puts a signed delivery it cannot map; `leadrouter dlq replay` brings them
# back here once the mapping is fixed (docs/decisions/0105-quarantine-and-replay.md).
WEBHOOKS_RAW: Final = "webhooks.raw"

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

# Headers of a raw webhook delivery (webhooks.raw and its quarantine): what mapping it
# again needs. Never a signature, token or key: those were checked at the door.
WEBHOOK_SOURCE: Final = "webhook-source"
WEBHOOK_CONTENT_TYPE: Final = "content-type"
WEBHOOK_CAMPAIGN_ID: Final = "webhook-campaign-id"
WEBHOOK_RECEIVED_AT: Final = "webhook-received-at"

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

DELIVERY_HEADERS: Final[tuple[Header, ...]] = (
    Header(WEBHOOK_SOURCE, "The webhook source (platform) it came to, e.g. `hubspot`.",
           r"^[a-z0-9-]{1,40}$"),
    Header(WEBHOOK_CONTENT_TYPE, "The request's `Content-Type`, as sent.", r"^.{0,200}$"),
    Header(HEADER_CORRELATION_ID, "The request's correlation id (`X-Correlation-ID` or a "
           "new one): the lead's, once it is mapped.", r"^.{1,128}$"),
    Header(WEBHOOK_RECEIVED_AT, "When the webhook received it (ISO 8601).", r"^.{1,40}$"),
)  # fmt: skip
"""On every raw delivery; ``webhook-campaign-id`` (the URL's ``?campaign_id=``) only
when the URL named one. No signature, token or key is ever among them."""

QUARANTINE_HEADERS: Final[tuple[Header, ...]] = (
    *DELIVERY_HEADERS,
    *(h for h in DLQ_HEADERS if h.name not in (DLQ_SOURCE_PARTITION, DLQ_SOURCE_OFFSET)),
)
"""A quarantined delivery never was on ``webhooks.raw`` when the webhook quarantines
it: no source partition or offset (a replayed one that fails again has them)."""


@dataclass(frozen=True, slots=True)
class RawPayload:
    """What a topic of raw bytes (not events) carries, for the AsyncAPI document."""

    name: str
    title: str
    description: str


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
    raw: RawPayload | None = None  # instead of events: a webhook request's bytes

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

_DELIVERY: Final = RawPayload(
    name="webhook.delivery",
    title="Webhook delivery",
    description="An authentic webhook request's body, byte for byte as the platform sent "
    "it (JSON or a URL-encoded form, as its `content-type` header says).",
)

WEBHOOK_DELIVERIES: Final = Topic(
    name=WEBHOOKS_RAW,
    summary="Authentic webhook requests to map (again): the quarantine's deliveries, put "
    "back by `leadrouter dlq replay` once their mapping is fixed. Not signed again.",
    key="`source:sha256:<hex digest of the body>`",
    events=(),
    producers=("leadrouter dlq replay",),
    consumers=("scorer",),
    headers=DELIVERY_HEADERS,
    retention_ms=30 * DAY_MS,
    raw=_DELIVERY,
)

QUARANTINE: Final = Topic(
    name=dead_letter(WEBHOOKS_RAW),
    summary="The quarantine: authentic webhook requests the scorer could not map (an "
    "unknown shape, a missing field, no campaign), kept raw with the reason and answered "
    "202, so that nothing authentic is lost.",
    key="`source:sha256:<hex digest of the body>`",
    events=(),
    producers=("scorer webhooks", "scorer"),
    consumers=("ops", "leadrouter dlq replay"),
    headers=QUARANTINE_HEADERS,
    partitions=1,
    retention_ms=30 * DAY_MS,
    dead_letter_of=WEBHOOKS_RAW,
    raw=RawPayload(
        name="webhook.delivery",
        title="Webhook delivery (quarantined)",
        description=_DELIVERY.description + " The reason it could not be mapped is in "
        "the `dlq-*` headers.",
    ),
)
WEBHOOKS_QUARANTINE: Final = QUARANTINE.name

TOPICS: Final[tuple[Topic, ...]] = (
    *_PIPELINE,
    WEBHOOK_DELIVERIES,
    *(topic.dead_letter_topic() for topic in _PIPELINE if topic.has_dead_letter),
    QUARANTINE,
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
