"""Routing policies as stored: every version kept."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from leadrouter_router.platform.db import Base


class RoutingPolicyRow(Base):
    """One version of a policy; versions are never changed, a change adds a version."""

    __tablename__ = "routing_policies"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(JSON, doc="Rules, fallback and options.")
    created_at: Mapped[datetime]


class RetiredPolicyRow(Base):
    """A version of a deleted policy: decision records name their policy version and
    take its rules' text from it (docs/decisions/0306)."""

    __tablename__ = "retired_policies"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, doc="Its routing_policies id.")
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime]
