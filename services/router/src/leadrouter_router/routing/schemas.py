"""API bodies for policies, decision records and the what-if simulation."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from leadrouter_router.policies.policy import PolicyDocument
from leadrouter_schemas import Lead, Score


class PolicyOut(BaseModel):
    name: str
    version: int
    document: PolicyDocument
    created_at: datetime


class PolicyList(BaseModel):
    items: list[PolicyOut]


class DecisionOut(BaseModel):
    """Why this salesperson (or nobody): the full record of the latest decision."""

    decision_id: uuid.UUID
    lead_id: uuid.UUID
    outcome: str
    salesperson_id: uuid.UUID | None
    policy_name: str | None
    policy_version: int | None
    decided_at: datetime
    record: dict[str, Any] = Field(
        description="Rules evaluated, candidates with their exclusions, the tie-break."
    )


class SimulatedLead(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lead: Lead
    score: Score


class SimulationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    leads: list[SimulatedLead] = Field(min_length=1, max_length=500)
    policy: PolicyDocument | None = Field(
        default=None, description="A candidate policy; none: each campaign's current policy."
    )
    at: AwareDatetime | None = Field(default=None, description="The instant to decide at; now.")


class SimulatedDecision(BaseModel):
    outcome: str
    salesperson_id: uuid.UUID | None
    via: str
    pool: str | None
    strategy: str | None
    reason: str
    record: dict[str, Any]


class SimulationOut(BaseModel):
    decisions: list[SimulatedDecision]
