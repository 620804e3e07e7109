from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

DeliveryStatus = Literal["pending", "delivered", "failed", "superseded"]


class DeliveryOut(BaseModel):
    id: UUID
    lead_id: UUID
    assignment_id: UUID = Field(description="Also the idempotency key of every attempt.")
    status: DeliveryStatus = Field(
        description="superseded: a newer assignment of the lead (or its leaving this"
        " salesperson) made it obsolete before it reached the CRM; it is never sent."
    )
    attempts: int = Field(
        description="Attempts made, counted when each starts (one cut off by a crash included)."
    )
    last_answer: str | None = Field(
        description="The CRM's answer (or the transport error) to the last failed attempt."
    )
    created_at: datetime
    next_attempt_at: datetime | None = Field(description="When it is tried next, if pending.")
    delivered_at: datetime | None


class DeliveryList(BaseModel):
    items: list[DeliveryOut]
