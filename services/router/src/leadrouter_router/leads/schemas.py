"""API bodies for leads and their assignments."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

LeadStatus = Literal["assigned", "unassigned", "merged", "closed"]


class AssignmentOut(BaseModel):
    id: uuid.UUID
    lead_id: uuid.UUID
    salesperson_id: uuid.UUID
    pool: str | None
    strategy: str | None
    reason: str
    assigned_at: datetime
    stage: str = Field(default="new", description="new, accepted, contacted, or how it ended.")
    accept_due_at: datetime | None = Field(default=None, description="SLA: accept by.")
    touch_due_at: datetime | None = Field(default=None, description="SLA: first touch by.")
    accepted_at: datetime | None = None
    first_touch_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None


class LeadOut(BaseModel):
    id: uuid.UUID
    lead_key: str
    correlation_id: str
    campaign_id: str
    email: str | None
    score: int
    grade: str
    status: LeadStatus
    owner_id: uuid.UUID | None
    merged_into_id: uuid.UUID | None = Field(description="The lead this one joined (dedupe).")
    received_at: datetime
    assignments: list[AssignmentOut]


class LeadPage(BaseModel):
    items: list[LeadOut]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for more.")


class AssignmentPage(BaseModel):
    items: list[AssignmentOut]
    next_cursor: str | None = None
