"""Records as readable events: a pure function from a consumed record's parts to
one line (type, key, correlation id, summary), decoding with the contracts."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from leadrouter_schemas import (
    AnyEvent,
    CampaignConfigured,
    LeadAssigned,
    LeadOutcomeRecorded,
    LeadReceived,
    LeadRejected,
    LeadScored,
    decode,
)

Headers = list[tuple[str, bytes]]

DLQ_HEADER_PREFIX = "dlq-"


@dataclass(frozen=True, slots=True)
class RawRecord:
    """What a consumer got: the parts we show, whatever the client library."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None
    key: bytes | None
    value: bytes | None
    headers: Headers


@dataclass(frozen=True, slots=True)
class Described:
    record: RawRecord
    event_type: str
    correlation_id: str | None
    summary: str
    event: AnyEvent | None
    error: str | None = None

    def line(self) -> str:
        r = self.record
        return " ".join(
            part
            for part in (
                f"{r.topic}[{r.partition}]@{r.offset}",
                _time(r.timestamp_ms),
                self.event_type,
                f"key={text(r.key)}",
                f"corr={self.correlation_id or '-'}",
                self.summary,
            )
            if part
        )

    def as_json(self) -> dict[str, Any]:
        r = self.record
        return {
            "topic": r.topic,
            "partition": r.partition,
            "offset": r.offset,
            "timestamp": _time(r.timestamp_ms) or None,
            "key": None if r.key is None else text(r.key),
            "headers": {name: text(value) for name, value in r.headers},
            "type": self.event_type,
            "correlation_id": self.correlation_id,
            "summary": self.summary,
            "event": None if self.event is None else self.event.model_dump(mode="json"),
            "error": self.error,
        }


def text(value: bytes | None) -> str:
    return "-" if value is None else value.decode("utf-8", errors="replace")


def header(headers: Headers, name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return text(value)
    return None


def _time(timestamp_ms: int | None) -> str:
    if timestamp_ms is None or timestamp_ms < 0:
        return ""
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC).isoformat(timespec="milliseconds")


def describe(record: RawRecord) -> Described:
    if record.value is None:
        return Described(record, "tombstone", None, "(no value: deletes the key)", None)
    try:
        event = decode(record.value)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "value"
        reason = f"{where}: {first['msg']}"
        return Described(
            record,
            "undecodable",
            header(record.headers, "correlation-id"),
            f"({len(record.value)} bytes; {reason})",
            None,
            error=reason,
        )
    return Described(record, event.type, event.correlation_id, summary(event), event)


def summary(event: AnyEvent) -> str:
    """One line about the event, in the words of the sales domain."""
    if isinstance(event, LeadReceived):
        lead = event.data.lead
        return f"{lead.lead_key} campaign={lead.campaign_id} email={lead.contact.email or '-'}"
    if isinstance(event, LeadScored):
        score = event.data.score
        mql = "MQL" if score.is_mql else "not MQL"
        return (
            f"{event.data.lead.lead_key} score={score.value} grade={score.grade} {mql} "
            f"campaign={event.data.lead.campaign_id}"
        )
    if isinstance(event, LeadRejected):
        codes = ",".join(reason.code for reason in event.data.reasons)
        return f"{event.data.lead.lead_key} rejected: {codes}"
    if isinstance(event, LeadAssigned):
        person = event.data.salesperson
        return f"{event.data.lead_key} -> {person.name} <{person.email}>: {event.data.reason}"
    if isinstance(event, LeadOutcomeRecorded):
        data = event.data
        value = f" value={data.value:g} {data.currency or ''}".rstrip() if data.value else ""
        return f"lead {data.lead_id} {data.outcome}{value}"
    if isinstance(event, CampaignConfigured):
        campaign = event.data.campaign
        return f"campaign={campaign.campaign_id} version={campaign.version}"
    return ""  # pragma: no cover - every member of AnyEvent is handled above
