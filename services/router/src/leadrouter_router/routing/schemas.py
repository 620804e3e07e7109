"""API bodies for policies, decision records and the what-if simulation."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from leadrouter_router.policies.policy import PolicyDocument
from leadrouter_schemas import Lead, Score


class PolicyOut(BaseModel):
    name: str
    version: int
    document: PolicyDocument
    created_at: datetime


class PolicyList(BaseModel):
    items: list[PolicyOut]


class _Shown(BaseModel):
    """A part of the full decision record: serialised with the keys it was given only
    (which keys a record has says how far the decision went: no ``circuit`` after a
    dedupe, no ``rules`` after a circuit, no ``tie_break`` when nobody was eligible)."""

    model_config = ConfigDict(extra="allow")

    @model_serializer(mode="wrap")
    def _given_keys(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        # No return annotation: the JSON Schema stays the model's.
        given = self.model_fields_set | set(self.__pydantic_extra__ or ())
        return {key: value for key, value in handler(self).items() if key in given}


class PolicyShown(_Shown):
    name: str
    version: int


class LeadShown(_Shown):
    lead_key: str
    campaign_id: str
    grade: str


class DedupeShown(_Shown):
    lead_id: uuid.UUID = Field(description="The lead this one joined.")
    matched_on: str = Field(description="lead_key | email | phone")


class CircuitShown(_Shown):
    via: str = Field(description="account | open_lead")
    account_id: uuid.UUID | None = Field(default=None, description="Via an account.")
    account: str | None = Field(default=None, description="Its name; via an account.")
    lead_id: uuid.UUID | None = Field(default=None, description="Via an open lead.")
    matched_on: str
    owner: uuid.UUID | None
    excluded: list[str] = Field(description="Why the owner did not get it; empty: they did.")


class ConditionChecked(_Shown):
    field: str
    op: str
    value: Any = None
    actual: Any = Field(default=None, description="The lead's value.")
    holds: bool


class RuleTried(_Shown):
    rule: str = Field(description="Its name (its position, #n, if that policy was deleted).")
    matched: bool
    conditions: list[ConditionChecked] = Field(
        default_factory=list, description="Checked in order, up to the first that failed."
    )


class CandidateShown(_Shown):
    salesperson_id: uuid.UUID
    name: str | None = Field(default=None, description="Absent: no such salesperson.")
    excluded: list[str] = Field(description="Every reason that excluded them; empty: eligible.")


class PoolConsidered(_Shown):
    stage: str = Field(description="pool | fallback_pool")
    pool: str
    strategy: str
    candidates: list[CandidateShown]


class FallbackOwnerShown(_Shown):
    email: str
    found: bool


IsoInstant = Annotated[AwareDatetime, PlainSerializer(datetime.isoformat, return_type=str)]


class DecisionExplanation(_Shown):
    """The full decision record (the engine's ``DecisionRecord`` with the rule text of
    its policy version and the candidates' names; docs/router.md)."""

    policy: PolicyShown
    decided_at: IsoInstant
    lead: LeadShown
    dedupe: DedupeShown | None = Field(default=None, description="Only if a duplicate.")
    circuit: CircuitShown | None = Field(default=None, description="Absent after a dedupe.")
    territories: list[str] | None = Field(default=None, description="Only if rules were tried.")
    rules: list[RuleTried] | None = Field(default=None, description="Only if rules were tried.")
    pools: list[PoolConsidered] | None = Field(
        default=None, description="Each pool tried: the rule's, then the fallback pool."
    )
    tie_break: str | None = Field(default=None, description="Only if someone was eligible.")
    fallback_owner: FallbackOwnerShown | None = None
    outcome: str = Field(description="assigned | unassigned | merged")
    salesperson_id: uuid.UUID | None
    via: str = Field(
        description="dedupe | account | open_lead | rule | fallback_pool | fallback_owner | none"
    )
    pool: str | None
    strategy: str | None
    reason: str


class DecisionOut(BaseModel):
    """Why this salesperson (or nobody): the full record of the latest decision."""

    decision_id: uuid.UUID
    lead_id: uuid.UUID
    outcome: str
    salesperson_id: uuid.UUID | None
    policy_name: str | None
    policy_version: int | None
    decided_at: datetime
    record: DecisionExplanation = Field(
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
    record: DecisionExplanation


class SimulationOut(BaseModel):
    decisions: list[SimulatedDecision]
