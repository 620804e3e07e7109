"""Database engine, sessions and migrations (SQLite file or PostgreSQL)."""

import ast
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import Connection, DateTime, TypeDecorator, event, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool

if TYPE_CHECKING:
    from alembic.config import Config

log = structlog.get_logger(__name__)
VERSIONS = Path(__file__).resolve().parents[1] / "migrations" / "versions"
"""Alembic's revision files (``script_location`` ``leadrouter_router:migrations``)."""


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime}  # noqa: RUF012


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # No ping at every checkout (one round trip more per transaction on the hot path):
    # a connection idle long enough to have been dropped is checked first, a stale
    # one is replaced, and none lives past the recycle age (docs/decisions/0305).
    engine = create_async_engine(url, echo=echo, pool_size=10, pool_recycle=RECYCLE_S)
    event.listen(engine.sync_engine, "checkin", _checked_in)
    event.listen(engine.sync_engine, "checkout", _check_if_idle(engine.sync_engine.dialect))
    return engine


IDLE_PING_S = 30.0
"""A pooled connection idle longer than this is pinged before use."""
RECYCLE_S = 1800
"""No pooled connection is older than this (before firewalls' and proxies' idle limits)."""


def _checked_in(dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _check_if_idle(dialect: Dialect) -> Callable[[Any, Any, Any], None]:
    def check(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_S:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool replaces the connection and checks out another.
            raise DisconnectionError(f"stale pooled connection: {error!r}") from error

    return check


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    # WAL lets the relay read while the consumer writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> "Config":
    # Alembic is imported when a schema changes, not by every process that opens a session.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "leadrouter_router:migrations")
    return config


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` with Alembic, on the engine's own connection.

    A schema already at head, as at every restart, is told by one query: Alembic is
    then neither imported nor run (most of a second of a restart; decision 0406)."""
    if revision == "head":
        heads = migration_heads()
        if await schema_revisions(engine) == heads:
            log.info("db.schema_at_head", revisions=sorted(heads))
            return
    from alembic import command

    await _alembic(engine, lambda config: command.upgrade(config, revision))


def migration_heads() -> frozenset[str]:
    """The revisions that no other revises, read from the revision files as Alembic
    reads their ``revision`` and ``down_revision`` (a tuple where branches merge)."""
    revises: dict[str, frozenset[str]] = {}
    for path in VERSIONS.glob("*.py"):
        names: dict[str, Any] = {}
        for node in ast.parse(path.read_bytes()).body:
            match node:
                case (
                    ast.Assign(targets=[ast.Name(id=name)], value=value)
                    | ast.AnnAssign(target=ast.Name(id=name), value=value)
                ) if name in ("revision", "down_revision") and value is not None:
                    names[name] = ast.literal_eval(value)
        if "revision" in names:
            down = names.get("down_revision")
            revises[names["revision"]] = frozenset(
                () if down is None else (down,) if isinstance(down, str) else down
            )
    return frozenset(revises) - frozenset().union(*revises.values())


async def schema_revisions(engine: AsyncEngine) -> frozenset[str]:
    """The revisions the database is at: none for a database Alembic never migrated."""
    async with engine.connect() as connection:
        try:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
        except DBAPIError:  # no such table yet
            return frozenset()
        return frozenset(rows.scalars())


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Take the schema back down to ``revision``."""
    from alembic import command

    await _alembic(engine, lambda config: command.downgrade(config, revision))


async def _alembic(engine: AsyncEngine, action: Callable[["Config"], None]) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        action(config)

    target = _migration_engine(engine)
    try:
        async with target.begin() as connection:
            await connection.run_sync(run)
            if connection.dialect.name == "sqlite":
                broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise RuntimeError(f"migration left dangling foreign keys: {broken[:5]}")
    finally:
        if target is not engine:
            await target.dispose()


def _migration_engine(engine: AsyncEngine) -> AsyncEngine:
    """PostgreSQL migrates in one transaction as it is. SQLite needs an engine of its
    own: Python's driver commits DDL at once (so a failed migration would stay half
    done) unless it is told to leave transactions to us, and SQLite alters a table by
    copying and dropping it, which foreign keys forbid while they are enforced; they
    can only be switched off outside a transaction, so at connect time.
    https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl
    https://alembic.sqlalchemy.org/en/latest/batch.html#dealing-with-referencing-foreign-keys
    """
    if engine.dialect.name != "sqlite":
        return engine
    migration = create_async_engine(engine.url, poolclass=NullPool, connect_args={"timeout": 30})
    event.listen(migration.sync_engine, "connect", _sqlite_for_migrations)
    event.listen(migration.sync_engine, "begin", _sqlite_begin)
    return migration


def _sqlite_for_migrations(dbapi_connection: Any, _: Any) -> None:
    dbapi_connection.isolation_level = None  # no implicit commits: we emit BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
