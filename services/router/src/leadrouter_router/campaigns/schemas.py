"""API bodies for campaigns. Criteria and scoring model are the scorer's contract
(``leadrouter_schemas.campaigns``), refused here when they carry unknown fields."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from leadrouter_schemas import ScoringModel, ValidationCriteria
from leadrouter_schemas.leads import Grade


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StrictCriteria(ValidationCriteria):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StrictScoringModel(ScoringModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Link(Input):
    title: str = Field(min_length=1, max_length=300)
    url: HttpUrl


class CaseStudy(Input):
    title: str = Field(min_length=1, max_length=300)
    summary: str = Field(max_length=4000, description="The result, in the customer's words.")
    url: HttpUrl | None = None


class Benchmark(Input):
    claim: str = Field(min_length=1, max_length=1000, description="e.g. 30% faster close.")
    source: str | None = Field(default=None, max_length=1000)


class SalesKit(Input):
    """What the salesperson gets with each lead of the campaign."""

    talk_track: str | None = Field(default=None, max_length=20_000)
    materials: list[Link] = Field(default_factory=list)
    case_studies: list[CaseStudy] = Field(default_factory=list)
    benchmarks: list[Benchmark] = Field(default_factory=list)


class SlaTarget(Input):
    accept_within_minutes: int | None = Field(default=None, ge=1)
    first_touch_within_minutes: int | None = Field(default=None, ge=1)


class Sla(SlaTarget):
    """Counted in the salesperson's business hours; a grade may have its own target."""

    by_grade: dict[Grade, SlaTarget] = Field(default_factory=dict)


class CampaignBody(Input):
    name: str = Field(min_length=1, max_length=300)
    active: bool = True
    kind: str | None = Field(default=None, max_length=100)
    forms: list[str] = Field(default_factory=list)
    audience: str | None = Field(default=None, max_length=4000)
    product_line: str | None = Field(
        default=None, max_length=200, description="The skill its leads need, unless they say."
    )
    criteria: StrictCriteria = StrictCriteria()
    scoring: StrictScoringModel | None = None
    policy: str | None = Field(
        default=None, max_length=200, description="Routing policy by name; else default."
    )
    sales_kit: SalesKit = SalesKit()
    sla: Sla = Sla()


CAMPAIGN_ID_MAX_LENGTH = 200
CAMPAIGN_ID_PATTERN = r"^[A-Za-z0-9._:-]+$"
"""What a campaign id may be, wherever one is given (body, path): declared once."""


class CampaignIn(CampaignBody):
    campaign_id: str = Field(
        min_length=1, max_length=CAMPAIGN_ID_MAX_LENGTH, pattern=CAMPAIGN_ID_PATTERN
    )


class CampaignOut(BaseModel):
    campaign_id: str
    version: int
    name: str
    active: bool
    kind: str | None
    forms: list[str]
    audience: str | None
    product_line: str | None
    criteria: ValidationCriteria
    scoring: ScoringModel | None
    policy: str | None
    sales_kit: SalesKit
    sla: Sla
    updated_at: datetime


class CampaignList(BaseModel):
    items: list[CampaignOut]
