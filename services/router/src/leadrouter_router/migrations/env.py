"""Alembic environment: runs on a connection handed in by ``platform.db.migrate``."""

from alembic import context

from leadrouter_router import models  # noqa: F401  (registers every table)
from leadrouter_router.platform.db import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `python -m leadrouter_router migrate`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
