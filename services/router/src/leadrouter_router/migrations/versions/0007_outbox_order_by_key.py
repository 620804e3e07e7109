"""outbox in order by key: a sequence number for each message, a lease marker, and an
index over each stream (kind, destination, key, seq)

PostgreSQL numbers messages with an identity column. SQLite has no sequence apart from
the rowid: the column defaults to 0 and a trigger sets it to the rowid after each
insert (SQLite serialises writers, so the rowid follows the order of commits). A later
migration that rebuilds ``outbox`` on SQLite (``batch_alter_table`` with a copy) drops
the trigger and must create it again: ``tests/router/test_migrations.py`` checks it.
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"

SQLITE_TRIGGER = """
CREATE TRIGGER outbox_seq_from_rowid AFTER INSERT ON outbox
WHEN NEW.seq = 0
BEGIN
    UPDATE outbox SET seq = NEW.rowid WHERE rowid = NEW.rowid;
END
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("outbox", schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("seq", sa.BigInteger(), server_default="0", nullable=False)
            )
            batch_op.add_column(sa.Column("leased_until", sa.DateTime(timezone=True)))
        op.execute("UPDATE outbox SET seq = rowid")
        op.execute(SQLITE_TRIGGER)
    else:
        # Existing rows are numbered as the column is added; new ones by the identity.
        op.add_column("outbox", sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False))
        op.add_column("outbox", sa.Column("leased_until", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_outbox_stream", "outbox", ["kind", "destination", "key", "seq"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_stream", table_name="outbox")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS outbox_seq_from_rowid")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("leased_until")
        batch_op.drop_column("seq")
