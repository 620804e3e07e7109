"""Routing policies as values: ordered rules (conditions -> pool and strategy) and a fallback.

A policy is data. It is stored versioned (a change adds a version), exported as
YAML, and given to the pure engine as it is.
"""

import uuid
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Strategy = Literal["round_robin", "weighted", "least_open_leads", "least_open_value"]
Operator = Literal["eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "prefix", "exists"]
Grade = Literal["A", "B", "C", "D"]

FIELDS: tuple[str, ...] = (
    "campaign_id",
    "source",
    "score",
    "grade",
    "value",
    "country",
    "region",
    "postal_code",
    "language",
    "product",
    "territory",
    "email_domain",
    "company_domain",
    "company_name",
    "employees",
)
"""Lead fields a condition may test; ``answers.<name>`` tests a form answer."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Condition(_Strict):
    field: str = Field(description=f"One of {', '.join(FIELDS)}, or `answers.<name>`.")
    op: Operator = "eq"
    value: Any = None

    @model_validator(mode="after")
    def _known_field(self) -> "Condition":
        if self.field not in FIELDS and not self.field.startswith("answers."):
            raise ValueError(f"unknown lead field {self.field!r}")
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"`{self.op}` needs a list value")
        return self


class Rule(_Strict):
    name: str = Field(min_length=1, max_length=200)
    when: tuple[Condition, ...] = Field(default=(), description="All must hold; none: always.")
    pool: str = Field(min_length=1, max_length=200, description="A team's name.")
    strategy: Strategy = "round_robin"
    allow_after_hours: bool | None = Field(
        default=None, description="Overrides the policy's setting for this rule."
    )


class Fallback(_Strict):
    pool: str | None = Field(
        default=None, description="Tried (round robin) when a rule's pool is empty."
    )
    owner_email: str | None = Field(
        default=None, description="Gets the lead when nobody else can, if not paused or gone."
    )


class PolicyDocument(_Strict):
    """What a policy says; the name and version are kept beside it."""

    rules: tuple[Rule, ...] = ()
    fallback: Fallback = Fallback()
    allow_after_hours: bool = False
    dedupe_window_hours: float = Field(default=720, ge=0, description="30 days by default.")
    capacity_factor: float = Field(
        default=1.0, gt=0, description="Scales every capacity; never to zero (at least 1)."
    )
    seniority_by_grade: dict[Grade, int] = Field(
        default_factory=dict, description="Minimum seniority tier per grade, e.g. {A: 3}."
    )
    account_name_threshold: float = Field(
        default=90, ge=50, le=100, description="rapidfuzz token-sort ratio to match a company."
    )


class Policy(_Strict):
    name: str = Field(min_length=1, max_length=200)
    version: int = Field(ge=1)
    document: PolicyDocument
    id: uuid.UUID | None = Field(
        default=None, description="The stored version's row; none: built in or a candidate."
    )


DEFAULT_POLICY_NAME = "default"

EVERYONE_POOL = "everyone"
"""Every salesperson, in rotation order, unless a team of that name exists."""

BUILT_IN_POLICY = Policy(
    name="built-in",
    version=1,
    document=PolicyDocument(rules=(Rule(name="everyone", pool=EVERYONE_POOL),)),
)
"""Used until a ``default`` policy is stored: round robin over everyone."""


def policy_for(policies: Mapping[str, Policy], policy_name: str | None) -> Policy:
    """The campaign's policy, else ``default``, else the built-in round robin over everyone."""
    if policy_name is not None and policy_name in policies:
        return policies[policy_name]
    return policies.get(DEFAULT_POLICY_NAME, BUILT_IN_POLICY)
