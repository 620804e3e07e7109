"""API bodies for salespeople and teams. Inputs refuse unknown fields, and the fields the
router sets itself (id, timestamps) are not part of them, so sending one is a 422."""

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Status = Literal["active", "paused", "left"]
_SPAN = re.compile(
    r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$|^([01]\d|2[0-3]):[0-5]\d-24:00$"
)


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"{name!r} is not an IANA time zone") from error
    return name


def _span(span: str) -> str:
    if not _SPAN.match(span):
        raise ValueError(f"{span!r} is not HH:MM-HH:MM")
    start, end = span.split("-")
    if end != "24:00" and end <= start:
        raise ValueError(f"{span!r} ends before it starts (split a span that crosses midnight)")
    return span.replace("24:00", "23:59")


TimeZone = Annotated[str, AfterValidator(_time_zone)]
Span = Annotated[str, AfterValidator(_span)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Period(Input):
    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> "Period":
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class SalespersonIn(Input):
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    crm_user_id: str | None = Field(default=None, max_length=200)
    status: Status = "active"
    teams: list[str] = Field(default_factory=list, description="Team (pool) names.")
    languages: list[str] = Field(default_factory=list, description="ISO 639-1, e.g. es.")
    skills: list[str] = Field(default_factory=list, description="Product lines.")
    seniority: int = Field(default=1, ge=1, le=10)
    time_zone: TimeZone = "UTC"
    working_hours: dict[Weekday, list[Span]] = Field(
        default_factory=dict, description="Empty: no schedule, always working."
    )
    holidays: list[date] = Field(default_factory=list)
    out_of_office: list[Period] = Field(default_factory=list)
    max_new_per_day: int | None = Field(default=None, ge=0)
    max_open: int | None = Field(default=None, ge=0)
    weight: float = Field(default=1.0, gt=0, le=1000)


class SalespersonPatch(Input):
    """Any subset: availability, capacity, teams or identity."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    crm_user_id: str | None = Field(default=None, max_length=200)
    status: Status | None = None
    teams: list[str] | None = None
    languages: list[str] | None = None
    skills: list[str] | None = None
    seniority: int | None = Field(default=None, ge=1, le=10)
    time_zone: TimeZone | None = None
    working_hours: dict[Weekday, list[Span]] | None = None
    holidays: list[date] | None = None
    out_of_office: list[Period] | None = None
    max_new_per_day: int | None = Field(default=None, ge=0)
    max_open: int | None = Field(default=None, ge=0)
    weight: float | None = Field(default=None, gt=0, le=1000)

    @model_validator(mode="after")
    def _no_null_for_required(self) -> "SalespersonPatch":
        nullable = {"crm_user_id", "max_new_per_day", "max_open"}
        nulls = sorted(
            name for name in self.model_fields_set - nullable if getattr(self, name) is None
        )
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null")
        return self


class SalespersonOut(BaseModel):
    id: uuid.UUID
    name: str
    email: str
    crm_user_id: str | None
    status: Status
    teams: list[str]
    languages: list[str]
    skills: list[str]
    seniority: int
    time_zone: str
    working_hours: dict[str, list[str]]
    holidays: list[date]
    out_of_office: list[Period]
    max_new_per_day: int | None
    max_open: int | None
    weight: float
    created_at: datetime
    updated_at: datetime


class SalespersonList(BaseModel):
    items: list[SalespersonOut]


class TeamIn(Input):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=1000)


class TeamOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    members: list[uuid.UUID] = Field(description="Salespeople, in rotation order.")
    created_at: datetime


class TeamList(BaseModel):
    items: list[TeamOut]
