import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from leadrouter_router.platform.db import Base


class CallbackRow(Base):
    """One CRM callback as recorded, keyed by the caller's event id (idempotency)."""

    __tablename__ = "lead_callbacks"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_id: Mapped[str] = mapped_column(String(200), unique=True, doc="The caller's event id.")
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id"), index=True)
    assignment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assignments.id"))
    salesperson_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("salespeople.id"))
    action: Mapped[str] = mapped_column(String(20), doc="accept|reject|activity|outcome")
    outcome: Mapped[str] = mapped_column(String(20), doc="The LeadOutcomeRecorded outcome.")
    channel: Mapped[str | None] = mapped_column(String(20), doc="call|email|meeting")
    reason: Mapped[str | None] = mapped_column(String(500))
    value: Mapped[float | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    answer: Mapped[dict[str, Any]] = mapped_column(JSON, doc="The first answer, replayed.")
    recorded_at: Mapped[datetime] = mapped_column(index=True)
