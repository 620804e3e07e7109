"""outcomes and service levels: CRM callbacks, assignment stages and SLA deadlines"""

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"


def upgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stage", sa.String(length=20), server_default="new", nullable=False)
        )
        batch_op.add_column(
            sa.Column("sla_armed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        for name in ("accept_due_at", "touch_due_at", "accepted_at", "first_touch_at", "ended_at"):
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("end_reason", sa.String(length=500), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_assignments_accept_due_at"), ["accept_due_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_assignments_touch_due_at"), ["touch_due_at"], unique=False
        )

    op.create_table(
        "lead_callbacks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("lead_id", sa.Uuid(), nullable=False),
        sa.Column("assignment_id", sa.Uuid(), nullable=True),
        sa.Column("salesperson_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignments.id"]),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"]),
        sa.ForeignKeyConstraint(["salesperson_id"], ["salespeople.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("lead_callbacks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lead_callbacks_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_lead_callbacks_recorded_at"), ["recorded_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("lead_callbacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lead_callbacks_recorded_at"))
        batch_op.drop_index(batch_op.f("ix_lead_callbacks_lead_id"))
    op.drop_table("lead_callbacks")
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignments_touch_due_at"))
        batch_op.drop_index(batch_op.f("ix_assignments_accept_due_at"))
        for name in (
            "end_reason",
            "ended_at",
            "first_touch_at",
            "accepted_at",
            "touch_due_at",
            "accept_due_at",
            "sla_armed",
            "stage",
        ):
            batch_op.drop_column(name)
