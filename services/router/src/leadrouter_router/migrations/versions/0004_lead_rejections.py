"""lead rejections: one row per LeadRejected event, for the funnel's rejected counts"""

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"


def upgrade() -> None:
    op.create_table(
        "lead_rejections",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("reason_codes", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("correlation_id", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("lead_rejections", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lead_rejections_campaign_id_received_at",
            ["campaign_id", "received_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_lead_rejections_correlation_id"), ["correlation_id"], unique=False
        )
        batch_op.create_index("ix_lead_rejections_received_at", ["received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lead_rejections", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_rejections_received_at")
        batch_op.drop_index(batch_op.f("ix_lead_rejections_correlation_id"))
        batch_op.drop_index("ix_lead_rejections_campaign_id_received_at")
    op.drop_table("lead_rejections")
