"""API bodies for leads and their assignments."""

import uuid
from datetime import datetime

from pydantic import BaseModel


class AssignmentOut(BaseModel):
    id: uuid.UUID
    salesperson_id: uuid.UUID
    reason: str
    assigned_at: datetime


class LeadOut(BaseModel):
    id: uuid.UUID
    lead_key: str
    correlation_id: str
    campaign_id: str
    email: str | None
    score: int
    grade: str
    status: str
    received_at: datetime
    assignments: list[AssignmentOut]


class LeadPage(BaseModel):
    items: list[LeadOut]
