from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from leadrouter_router.platform.db import Base


class CampaignRow(Base):
    __tablename__ = "campaigns"

    campaign_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1, doc="Increases with every change.")
    kind: Mapped[str | None] = mapped_column(String(100), doc="e.g. demo_request, webinar.")
    forms: Mapped[list[str]] = mapped_column(JSON, default=list)
    audience: Mapped[str | None] = mapped_column(Text)
    product_line: Mapped[str | None] = mapped_column(String(200))
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON, doc="The scorer's ValidationCriteria.")
    scoring: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, doc="The scorer's ScoringModel; null: the scorer's default."
    )
    policy_name: Mapped[str | None] = mapped_column(String(200), doc="Routing policy by name.")
    sales_kit: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sla: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]
