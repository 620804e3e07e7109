import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from leadrouter_router.platform.db import Base


class LeadRow(Base):
    __tablename__ = "leads"
    __table_args__ = (Index("ix_leads_status_received_at", "status", "received_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    scored_event_id: Mapped[uuid.UUID] = mapped_column(
        unique=True, doc="The LeadScored event this lead came from: the idempotency key."
    )
    lead_key: Mapped[str] = mapped_column(String(400), index=True)
    correlation_id: Mapped[str] = mapped_column(String(128), index=True)
    campaign_id: Mapped[str] = mapped_column(String(200), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    email_key: Mapped[str | None] = mapped_column(String(320), index=True, doc="Normalised.")
    phone_key: Mapped[str | None] = mapped_column(String(64), index=True, doc="Digits, +prefix.")
    company_domain: Mapped[str | None] = mapped_column(String(253), index=True)
    score: Mapped[int]
    grade: Mapped[str] = mapped_column(String(1))
    value: Mapped[float] = mapped_column(default=0.0, doc="Lead value for least-loaded routing.")
    status: Mapped[str] = mapped_column(String(20), doc="assigned|unassigned|merged|closed")
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("salespeople.id"), index=True)
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("leads.id"))
    scored: Mapped[dict[str, Any]] = mapped_column(JSON, doc="The LeadScored data as received.")
    received_at: Mapped[datetime]


class AssignmentRow(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_assigned_at", "assigned_at"),
        # The ops page's SLA breaches: stage = 'breached' and ended since a time.
        Index("ix_assignments_stage_ended_at", "stage", "ended_at"),
        # The SLA checker's search for assignments still without deadlines: almost
        # none since they are set at assignment, so only those are indexed.
        Index(
            "ix_assignments_unarmed",
            "assigned_at",
            postgresql_where=text("sla_armed = false"),
            sqlite_where=text("sla_armed = 0"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id"), index=True)
    salesperson_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("salespeople.id"), index=True)
    decision_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("decisions.id"))
    pool: Mapped[str | None] = mapped_column(String(200), index=True)
    strategy: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(500))
    assigned_at: Mapped[datetime]
    # The salesperson's side of it (docs/outcomes.md): the state machine's stage, the
    # SLA deadlines (data, so timers survive restarts) and when each step happened.
    stage: Mapped[str] = mapped_column(
        String(20), default="new", server_default="new", doc="See outcomes/states.py."
    )
    sla_armed: Mapped[bool] = mapped_column(default=False, server_default=false())
    accept_due_at: Mapped[datetime | None] = mapped_column(index=True)
    touch_due_at: Mapped[datetime | None] = mapped_column(index=True)
    accepted_at: Mapped[datetime | None]
    first_touch_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None] = mapped_column(doc="Rejected, breached or final.")
    end_reason: Mapped[str | None] = mapped_column(String(500))
