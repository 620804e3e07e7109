"""API bodies of the CRM callbacks."""

import uuid
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadrouter_runtime.values import UtcDatetime


class Callback(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(
        min_length=1,
        max_length=200,
        description="The caller's id for this event: a repeat is answered as the first time"
        " and records nothing.",
    )
    salesperson_id: uuid.UUID | None = Field(
        default=None, description="Who acts, if the CRM knows: it must be the lead's owner."
    )
    occurred_at: UtcDatetime | None = Field(
        default=None, description="When it happened in the CRM; default: when received."
    )


class AcceptIn(Callback):
    pass


class RejectIn(Callback):
    reason: str = Field(min_length=1, max_length=500)


class ActivityIn(Callback):
    channel: Literal["call", "email", "meeting"]


class OutcomeIn(Callback):
    outcome: Literal["won", "lost", "bought_elsewhere", "unreachable"]
    value: float | None = Field(default=None, ge=0, description="Deal value (won).")
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", description="ISO 4217.")
    reason: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.outcome == "won" and (self.value is None or self.currency is None):
            raise ValueError("won needs value and currency")
        if self.outcome == "lost" and not self.reason:
            raise ValueError("lost needs a reason")
        return self


class CallbackOut(BaseModel):
    lead_id: uuid.UUID
    event_id: str
    outcome: str = Field(description="What was recorded: accepted, rejected, contacted, won...")
    stage: str = Field(description="The assignment's stage after it.")
    lead_status: str = Field(description="assigned, unassigned or closed.")
    owner_id: uuid.UUID | None = Field(description="Who has the lead now.")
