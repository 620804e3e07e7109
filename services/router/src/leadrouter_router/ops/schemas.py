"""API bodies of the ops endpoints."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class PartitionOut(BaseModel):
    partition: int
    end_offset: int = Field(description="High-water mark: records ever appended.")
    records: int = Field(description="Records the log holds now (end offset - log start).")
    per_second: float | None = Field(
        description="Records appended per second over the sampling window; null until "
        "two samples saw the partition."
    )
    lag: dict[str, int] = Field(
        description="Per consumer group reading the topic: end offset - committed offset."
    )


class TopicOut(BaseModel):
    topic: str
    end_offset: int
    records: int
    per_second: float | None
    lag: dict[str, int] = Field(description="Per group, summed over the partitions.")
    partitions: list[PartitionOut]


class TopicsOut(BaseModel):
    sampled_at: datetime = Field(description="When the broker was read.")
    window_s: float = Field(description="The window the rates are measured over.")
    groups: dict[str, list[str]] = Field(description="Consumer group -> the topics it reads.")
    topics: list[TopicOut]


class DeadLetterOut(BaseModel):
    topic: str
    partition: int
    offset: int
    dead_lettered_at: datetime
    key: str | None
    reason: str | None = Field(
        description="Why the consumer could not process it (error types and locations)."
    )
    error_type: str | None = Field(description="e.g. `missing`, `json_invalid`, `tombstone`.")
    error_location: str | None = Field(
        description="Field path, JSON position or line of code; `-` if none."
    )
    source_topic: str | None
    source_partition: int | None
    source_offset: int | None
    event_type: str | None
    correlation_id: str | None
    size_bytes: int
    preview: str = Field(description="The start of the original value, as text.")


class DeadLetterTopicOut(BaseModel):
    topic: str
    records: int = Field(description="Dead letters the topic holds (within its retention).")


class DeadLettersOut(BaseModel):
    topics: list[DeadLetterTopicOut]
    items: list[DeadLetterOut] = Field(description="The newest dead letters of all the topics.")


class SlaBreachOut(BaseModel):
    assignment_id: uuid.UUID
    lead_id: uuid.UUID
    campaign_id: str
    correlation_id: str
    target: str = Field(description="accept or first_touch: the deadline that was missed.")
    missed_by_id: uuid.UUID
    missed_by_name: str
    assigned_at: datetime
    due_at: datetime | None
    breached_at: datetime
    owner_now_id: uuid.UUID | None = Field(description="Who holds the lead now (re-routed).")
    owner_now_name: str | None
    lead_status: str


class SlaBreachesOut(BaseModel):
    since: datetime
    items: list[SlaBreachOut]


class SlaDueOut(BaseModel):
    assignment_id: uuid.UUID
    lead_id: uuid.UUID
    campaign_id: str
    correlation_id: str
    stage: str
    target: str = Field(description="accept or first_touch: the next deadline to meet.")
    due_at: datetime
    overdue: bool = Field(description="Past due: the SLA checker re-routes it at its next pass.")
    salesperson_id: uuid.UUID
    salesperson_name: str
    assigned_at: datetime


class SlaDuesOut(BaseModel):
    until: datetime
    items: list[SlaDueOut] = Field(description="Soonest deadline first.")


class DecisionLineOut(BaseModel):
    """One decision in a line: the full record is ``GET /v1/leads/{id}/decision``."""

    decision_id: uuid.UUID
    lead_id: uuid.UUID
    campaign_id: str
    correlation_id: str
    grade: str
    score: int
    outcome: str
    via: str | None
    salesperson_id: uuid.UUID | None
    salesperson_name: str | None
    pool: str | None
    strategy: str | None
    reason: str | None = Field(description="Why, in one sentence.")
    policy_name: str | None
    policy_version: int | None
    decided_at: datetime


class DecisionLinesOut(BaseModel):
    items: list[DecisionLineOut]
