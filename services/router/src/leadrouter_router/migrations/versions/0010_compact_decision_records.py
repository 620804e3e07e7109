"""decision records in their compact form (version 2), deleted policies' versions kept

Rows written before keep their full JSON record (version 1) in ``record`` and are
read as they are; new rows write ``compact`` only (docs/decisions/0306).
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"


def upgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("compact", sa.LargeBinary(), nullable=True))
        batch_op.alter_column("record", existing_type=sa.JSON(), nullable=True)
    op.create_table(
        "retired_policies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    # A compact record cannot be written back as version 1 in SQL (it needs the
    # policies and names it refers to): going back leaves those rows an empty record.
    op.execute(sa.text("UPDATE decisions SET record = '{}' WHERE record IS NULL"))
    op.drop_table("retired_policies")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.alter_column("record", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("compact")
