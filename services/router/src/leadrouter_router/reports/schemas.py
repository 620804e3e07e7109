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
    received: int = Field(description="Scored leads the router stored.")
    valid: int = Field(description="Received, less those merged into an earlier lead.")
    assigned: int
    accepted: int
    contacted: int
    won: int
    lost: int
    bought_elsewhere: int = Field(description="Went to a competitor: the leakage.")
    unreachable: int
    rates: dict[str, float | None] = Field(description="Each step as a share of valid.")
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
    rejected_by_reason: str = Field(
        default="Leads the scorer rejected never reach the router: see the scorer's"
        " scorer_rejections_total metric by reason code.",
        description="Where rejected counts are.",
    )
