"""the outbox's pending messages in written order (a partial index): a claim reads the
oldest heads and stops at its limit, whatever the backlog"""

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_index(
        "ix_outbox_pending_seq",
        "outbox",
        ["seq"],
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_pending_seq", table_name="outbox")
