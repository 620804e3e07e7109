import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from leadrouter_router.platform.db import Base


class SalespersonRow(Base):
    __tablename__ = "salespeople"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    crm_user_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active", doc="active|paused|left")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list, doc="Product lines.")
    seniority: Mapped[int] = mapped_column(default=1, doc="Tier, 1 (junior) upwards.")
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", doc="IANA name.")
    working_hours: Mapped[dict[str, list[str]]] = mapped_column(
        JSON, default=dict, doc='Weekday -> local intervals, e.g. {"mon": ["09:00-17:00"]}.'
    )
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list, doc="Local ISO dates.")
    out_of_office: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, doc="Periods {start, end} as RFC 3339 instants."
    )
    max_new_per_day: Mapped[int | None]
    max_open: Mapped[int | None]
    weight: Mapped[float] = mapped_column(default=1.0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TeamRow(Base):
    """A team is also a routing pool: rules send leads to a team."""

    __tablename__ = "teams"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime]


class TeamMemberRow(Base):
    __tablename__ = "team_members"

    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    salesperson_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("salespeople.id", ondelete="CASCADE"), primary_key=True, index=True
    )
