import uuid
from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from leadrouter_router.platform.db import Base


class RejectionRow(Base):
    """One ``LeadRejected`` event: counts and reasons only, no personal data (the
    lead itself stays on ``leads.rejected``, 30 days' retention)."""

    __tablename__ = "lead_rejections"
    __table_args__ = (
        Index("ix_lead_rejections_received_at", "received_at"),
        Index("ix_lead_rejections_campaign_id_received_at", "campaign_id", "received_at"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, doc="The LeadRejected event id: the idempotency key."
    )
    campaign_id: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(64), doc="The platform, e.g. `hubspot`.")
    reason_codes: Mapped[list[str]] = mapped_column(
        JSON, doc="Every failed criterion's code, each once, in the scorer's order."
    )
    received_at: Mapped[datetime] = mapped_column(
        doc="When our webhook received the lead, else (it came another way) rejected_at."
    )
    submitted_at: Mapped[datetime] = mapped_column(doc="The lead's own time (the platform's).")
    rejected_at: Mapped[datetime] = mapped_column(doc="The scorer's verdict (occurred_at).")
    correlation_id: Mapped[str] = mapped_column(String(128), index=True)
    recorded_at: Mapped[datetime] = mapped_column(doc="When the router stored it.")
