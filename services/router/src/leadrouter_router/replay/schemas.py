"""API bodies of the replay job."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from leadrouter_router.policies.policy import PolicyDocument
from leadrouter_runtime.values import UtcDatetime


class ReplayIn(BaseModel):
    since: UtcDatetime = Field(description="Replay the leads received from this instant.")
    until: UtcDatetime | None = Field(default=None, description="... to this one (default: now).")
    campaign_id: str | None = Field(default=None, max_length=200)
    policy: PolicyDocument | None = Field(
        default=None,
        description="The candidate policy, for every lead of the window; none: each"
        " campaign's policy as it was (then only a re-scoring could move leads, and the"
        " API job does not re-score: `leadrouter replay --model` does).",
    )


class SlaExposureOut(BaseModel):
    assigned: int
    unassigned: int = Field(description="Leads nobody would get: no SLA protects them.")
    with_target: int = Field(description="Assigned leads with an accept or first-touch target.")
    deferred: int = Field(
        description="Of those, leads whose first deadline is later than its target in"
        " wall-clock time (they arrive outside their salesperson's working hours)."
    )
    p50_minutes_to_deadline: float | None
    p90_minutes_to_deadline: float | None


class LoadOut(BaseModel):
    salesperson_id: uuid.UUID
    name: str | None
    before: int = Field(description="Leads assigned in the window, as things are.")
    after: int = Field(description="... under the candidate.")


class MovedOut(BaseModel):
    lead_id: uuid.UUID
    received_at: datetime
    campaign_id: str
    changes: list[str] = Field(description="Of `grade`, `mql`, `owner`.")
    grade_before: str
    grade_after: str
    mql_before: bool
    mql_after: bool
    owner_before: uuid.UUID | None
    owner_after: uuid.UUID | None
    decision_before: str = Field(description="assigned, unassigned or merged.")
    decision_after: str
    via_after: str = Field(
        description="How the candidate decided: rule, open_lead (the company's open lead"
        " keeps its owner), account, dedupe, fallback_pool, fallback_owner or none."
    )
    observed_outcome: str = Field(
        description="What became of the lead in reality (context, not a promise):"
        " won, lost, bought_elsewhere, unreachable, open, unassigned or merged."
    )


class ReplayReportOut(BaseModel):
    since: datetime
    until: datetime
    campaign_id: str | None
    policy: str = Field(description="`candidate` or `current`.")
    rescored: bool
    leads: int
    moved: int = Field(description="Leads whose grade, MQL status or owner changes.")
    changed: dict[str, int] = Field(description="`grade`, `mql`, `owner` -> leads.")
    recorded_owner_agreement: float | None = Field(
        description="Share of the leads whose replayed owner (as things are) is the one"
        " they really got first: how close the approximation comes to what happened."
    )
    outcomes_of_moved: dict[str, int] = Field(
        description="What really became of the leads that would move (context, not a promise)."
    )
    load: list[LoadOut]
    gini_before: float | None = Field(description="Of leads per salesperson: 0 is even.")
    gini_after: float | None
    sla_before: SlaExposureOut
    sla_after: SlaExposureOut
    moved_leads: list[MovedOut] = Field(description="The first 1,000 leads that move.")


class ReplayJobOut(BaseModel):
    id: uuid.UUID
    status: Literal["running", "done", "failed"]
    done: int = Field(description="Leads replayed so far.")
    total: int | None = Field(description="Leads in the window (once counted).")
    started_at: datetime
    finished_at: datetime | None
    error: str | None = None
    report: ReplayReportOut | None = None
