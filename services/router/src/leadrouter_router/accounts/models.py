import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from leadrouter_router.platform.db import Base


class AccountRow(Base):
    """A company already owned by a salesperson: its leads stay in that circuit."""

    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(300), index=True)
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("salespeople.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime]
