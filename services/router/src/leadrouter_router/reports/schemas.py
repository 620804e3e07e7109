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
