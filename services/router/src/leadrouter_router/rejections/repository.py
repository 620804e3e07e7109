"""All SQL of the rejections table."""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.rejections.models import RejectionRow

# Rows per INSERT: far below SQLite's 32766 and asyncpg's 32767 bound parameters.
_CHUNK = 1000


async def insert_new(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert the rows whose event id is not stored yet; return how many were new."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    stored = 0
    for start in range(0, len(rows), _CHUNK):
        statement = (
            insert(RejectionRow)
            .values(list(rows[start : start + _CHUNK]))
            .on_conflict_do_nothing(index_elements=[RejectionRow.event_id])
            .returning(RejectionRow.event_id)
        )
        stored += len((await session.scalars(statement)).all())
    return stored
