"""deadlines set at assignment: an index for the few assignments still without them

The deadlines of assignments made before are set by the SLA checker (ended ones
included), from ``assigned_at``: docs/decisions/0607-sla-deadlines-at-assignment.md.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"


def upgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assignments_unarmed",
            ["assigned_at"],
            unique=False,
            postgresql_where=sa.text("sla_armed = false"),
            sqlite_where=sa.text("sla_armed = 0"),
        )


def downgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assignments_unarmed")
