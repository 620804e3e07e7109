import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from leadrouter_router.platform.db import Base


class DecisionRow(Base):
    """The record of one routing decision: why this salesperson (or nobody)."""

    __tablename__ = "decisions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id"), index=True)
    scored_event_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    outcome: Mapped[str] = mapped_column(String(20), doc="assigned|unassigned|merged")
    salesperson_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("salespeople.id"))
    policy_name: Mapped[str | None] = mapped_column(String(200))
    policy_version: Mapped[int | None]
    record: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, doc="Version 1: the full record as JSON (rows written before 0010)."
    )
    compact: Mapped[bytes | None] = mapped_column(
        LargeBinary, doc="Version 2 on: routing.record.DecisionRecord, MessagePack."
    )
    decided_at: Mapped[datetime] = mapped_column(index=True)


class PoolRotationRow(Base):
    """Whose turn it is in each pool: the last salesperson a pool's rotation gave a lead."""

    __tablename__ = "pool_rotations"

    pool: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_salesperson_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("salespeople.id", ondelete="CASCADE")
    )
    updated_at: Mapped[datetime]
