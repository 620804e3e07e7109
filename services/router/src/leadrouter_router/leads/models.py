import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from leadrouter_router.platform.db import Base


class LeadRow(Base):
    __tablename__ = "leads"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    scored_event_id: Mapped[uuid.UUID] = mapped_column(
        unique=True, doc="The LeadScored event this lead came from: the idempotency key."
    )
    lead_key: Mapped[str] = mapped_column(String(400), index=True)
    correlation_id: Mapped[str] = mapped_column(String(128), index=True)
    campaign_id: Mapped[str] = mapped_column(String(200), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    score: Mapped[int]
    grade: Mapped[str] = mapped_column(String(1))
    status: Mapped[str] = mapped_column(String(20), doc="assigned | unassigned")
    scored: Mapped[dict[str, Any]] = mapped_column(JSON, doc="The LeadScored data as received.")
    received_at: Mapped[datetime]


class AssignmentRow(Base):
    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_assigned_at", "assigned_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id"), index=True)
    salesperson_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("salespeople.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    assigned_at: Mapped[datetime]
