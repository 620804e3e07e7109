from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from leadrouter_router import models  # noqa: F401  (the complete metadata)
from leadrouter_router.platform.db import Base, create_engine, migrate


async def test_migrations_build_exactly_the_schema_the_models_declare(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        await migrate(engine)  # a second run is a no-op

        def differences(connection: Connection) -> list[object]:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))

        def tables(connection: Connection) -> set[str]:
            return set(inspect(connection).get_table_names())

        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
            assert await connection.run_sync(tables) >= {
                "salespeople",
                "leads",
                "assignments",
                "outbox",
                "alembic_version",
            }
    finally:
        await engine.dispose()
