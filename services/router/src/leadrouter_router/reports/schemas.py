"""API bodies of the reports."""

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class SpreadOut(BaseModel):
    count: int = Field(description="Leads measured.")
    p50_s: float | None = Field(description="Median, in seconds.")
    p90_s: float | None = Field(description="90th percentile, in seconds.")


class CampaignFunnelOut(BaseModel):
    campaign_id: str
    received: int = Field(
        description="Everything the webhooks accepted: scored leads the router stored"
        " (valid or merged) plus leads the scorer rejected."
    )
    valid: int = Field(
        description="Scored leads, less those merged into an earlier lead of the same person."
    )
    rejected: int = Field(description="Leads the scorer rejected (any number of reasons).")
    rejected_by_reason: dict[str, int] = Field(
        description="Reason code -> rejected leads that failed it; a lead may fail several,"
        " so the sum can exceed `rejected`. Most frequent first.",
        examples=[{"email.disposable": 3, "consent.missing": 1}],
    )
    assigned: int
    accepted: int
    contacted: int
    won: int
    lost: int
    bought_elsewhere: int = Field(description="Went to a competitor: the leakage.")
    unreachable: int
    rates: dict[str, float | None] = Field(
        description="`valid`: valid / received. Every other step (`assigned` …"
        " `unreachable`): a share of valid. null when the denominator is 0."
    )
    time_to_assign: SpreadOut
    time_to_first_touch: SpreadOut


class SalespersonOut(BaseModel):
    salesperson_id: uuid.UUID
    assignments: int
    open: int
    sla_met: int
    sla_missed: int
    sla_hit_rate: float | None
    worked: int = Field(description="Assignments not rejected and not taken away (SLA).")
    won: int
    conversion: float | None = Field(description="won / worked")


class PoolOut(BaseModel):
    pool: str
    members: int
    assignments: int
    gini: float | None = Field(description="0: even distribution; towards 1: concentrated.")


class FunnelReport(BaseModel):
    since: datetime = Field(serialization_alias="from")
    until: datetime = Field(serialization_alias="to")
    campaign_id: str | None
    campaigns: list[CampaignFunnelOut]
    salespeople: list[SalespersonOut]
    pools: list[PoolOut]


class LeakRowOut(BaseModel):
    key: str = Field(
        description="The group: a time-to-first-touch bucket, a grade, a source, a"
        " salesperson id, a pool, or `met` / `missed` / `none` (SLA)."
    )
    name: str | None = Field(default=None, description="The salesperson's name (by salesperson).")
    leads: int = Field(description="Assigned leads of the group received in the period.")
    open: int = Field(description="Without an outcome yet.")
    closed: int = Field(description="With an outcome: the denominator of the rates.")
    won: int
    lost: int
    bought_elsewhere: int = Field(description="Went to a competitor: the leakage.")
    unreachable: int
    rates: dict[str, float | None] = Field(
        description="Outcome -> share of `closed` (null when nothing closed).",
        examples=[{"won": 0.21, "lost": 0.52, "bought_elsewhere": 0.18, "unreachable": 0.09}],
    )
    intervals: dict[str, tuple[float, float] | None] = Field(
        description="Outcome -> 95% Wilson interval [low, high] of its rate (null when"
        " nothing closed): how much a small group can say."
    )


class LeakageReport(BaseModel):
    since: datetime = Field(serialization_alias="from")
    until: datetime = Field(serialization_alias="to")
    campaign_id: str | None
    overall: LeakRowOut
    by_time_to_first_touch: list[LeakRowOut] = Field(
        description="Buckets of the time from reception to the first activity, each up to"
        " and including its bound: `5 min`, `30 min`, `1 h`, `4 h`, `1 day`, `later`,"
        " then `not touched`; always all of them, in this order."
    )
    by_grade: list[LeakRowOut] = Field(description="`A` to `D`, always all four.")
    by_source: list[LeakRowOut] = Field(description="The platform the lead came from.")
    by_salesperson: list[LeakRowOut] = Field(
        description="Who had the lead when it closed (else who has it now)."
    )
    by_pool: list[LeakRowOut] = Field(description="The pool of that assignment.")
    by_sla: list[LeakRowOut] = Field(
        description="`missed`: any assignment of the lead missed a target; `met`: every"
        " target set was met; `none`: no target applied, or one is still running."
    )
