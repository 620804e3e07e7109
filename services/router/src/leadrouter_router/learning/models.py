import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from leadrouter_router.platform.db import Base


class ModelVersionRow(Base):
    """A scoring model fitted to a campaign's outcomes, with its calibration and its
    evaluation against the model it would replace."""

    __tablename__ = "model_versions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    campaign_id: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(
        String(20), doc="candidate | promoted | retired (replaced or rolled back)"
    )
    model: Mapped[dict[str, Any]] = mapped_column(JSON, doc="The ScoringModel.")
    calibration: Mapped[list[float]] = mapped_column(JSON, doc="P(won) for scores 0-100.")
    evaluation: Mapped[dict[str, Any]] = mapped_column(JSON, doc="Hold-out metrics, both models.")
    based_on: Mapped[str] = mapped_column(String(200), doc="The model version it was fitted from.")
    replaced: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, doc="The scoring it replaced when promoted (null: the scorer's default)."
    )
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    promoted_at: Mapped[datetime | None]


class ModelAuditRow(Base):
    """Every fit, promotion and rollback: who (the API key's name), when, with what."""

    __tablename__ = "model_audit"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    campaign_id: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(20), doc="fit | promote | rollback")
    version: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    detail: Mapped[str] = mapped_column(String(500))
