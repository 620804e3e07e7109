import uuid
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    DateTime,
    Integer,
    String,
    Uuid,
    column,
    insert,
    inspect,
    select,
    table,
    text,
)
from sqlalchemy.exc import IntegrityError
from structlog.testing import capture_logs

from leadrouter_router import models  # noqa: F401  (the complete metadata)
from leadrouter_router.platform.db import (
    Base,
    alembic_config,
    create_engine,
    downgrade,
    migrate,
    migration_heads,
    schema_revisions,
)

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SALESPEOPLE_0001 = table(
    "salespeople",
    column("id", Uuid()),
    column("name", String()),
    column("email", String()),
    column("active", Boolean()),
    column("created_at", DateTime(timezone=True)),
)
LEADS_0001 = table(
    "leads",
    column("id", Uuid()),
    column("scored_event_id", Uuid()),
    *(column(name, String()) for name in ("lead_key", "correlation_id", "campaign_id", "email")),
    column("score", Integer()),
    *(column(name, String()) for name in ("grade", "status")),
    column("scored", JSON()),
    column("received_at", DateTime(timezone=True)),
)
ASSIGNMENTS_0001 = table(
    "assignments",
    column("id", Uuid()),
    column("lead_id", Uuid()),
    column("salesperson_id", Uuid()),
    column("reason", String()),
    column("assigned_at", DateTime(timezone=True)),
)


async def test_migrations_build_exactly_the_schema_the_models_declare(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url)
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


def test_the_heads_read_from_the_revision_files_are_alembics() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert migration_heads() == frozenset(script.get_heads())


async def test_a_schema_behind_head_is_migrated_and_one_at_head_is_left_as_it_is(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url)
    try:
        assert await schema_revisions(engine) == frozenset()
        await migrate(engine)
        (head,) = migration_heads()
        previous = ScriptDirectory.from_config(alembic_config()).get_revision(head).down_revision
        assert isinstance(previous, str)
        await downgrade(engine, previous)
        assert await schema_revisions(engine) == {previous}
        with capture_logs() as logs:
            await migrate(engine)  # one revision behind: Alembic upgrades
            await migrate(engine)  # at head: one query, no Alembic
        assert await schema_revisions(engine) == {head}
        assert [e["revisions"] for e in logs if e["event"] == "db.schema_at_head"] == [[head]]
    finally:
        await engine.dispose()


async def test_existing_salespeople_keep_their_state_through_0002_and_back(
    empty_database_url: str,
) -> None:
    engine = create_engine(empty_database_url)
    try:
        await migrate(engine, "0001")
        async with engine.begin() as connection:
            await connection.execute(
                insert(SALESPEOPLE_0001),
                [
                    {
                        "id": uuid.uuid4(),
                        "name": name,
                        "email": email,
                        "active": on,
                        "created_at": NOW,
                    }
                    for name, email, on in (
                        ("On", "on@example.com", True),
                        ("Off", "off@example.com", False),
                    )
                ],
            )
            # A lead and its assignment: SQLite rebuilds these tables, and their
            # foreign keys must survive the copy.
            owner = await connection.scalar(
                select(SALESPEOPLE_0001.c.id).where(SALESPEOPLE_0001.c.active.is_(True))
            )
            lead_id = uuid.uuid4()
            await connection.execute(
                insert(LEADS_0001),
                {
                    "id": lead_id,
                    "scored_event_id": uuid.uuid4(),
                    "lead_key": "email:kept@example.com",
                    "correlation_id": "c-1",
                    "campaign_id": "spring-demo",
                    "email": "kept@example.com",
                    "score": 60,
                    "grade": "B",
                    "status": "assigned",
                    "scored": {},
                    "received_at": NOW,
                },
            )
            await connection.execute(
                insert(ASSIGNMENTS_0001),
                {
                    "id": uuid.uuid4(),
                    "lead_id": lead_id,
                    "salesperson_id": owner,
                    "reason": "round robin",
                    "assigned_at": NOW,
                },
            )
        await migrate(engine)
        async with engine.connect() as connection:
            kept = (
                await connection.execute(
                    text("SELECT l.email FROM leads l JOIN assignments a ON a.lead_id = l.id")
                )
            ).all()
        assert [tuple(row) for row in kept] == [("kept@example.com",)]
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT email, status FROM salespeople"))).all()
        assert sorted(tuple(row) for row in rows) == [
            ("off@example.com", "paused"),
            ("on@example.com", "active"),
        ]

        await downgrade(engine, "0001")
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT email, active FROM salespeople"))).all()
        assert sorted((email, bool(active)) for email, active in rows) == [
            ("off@example.com", False),
            ("on@example.com", True),
        ]
    finally:
        await engine.dispose()


async def test_0004_adds_the_rejections_table_with_a_unique_event_id_and_takes_it_back(
    empty_database_url: str,
) -> None:
    rejections = table(
        "lead_rejections",
        column("event_id", Uuid()),
        *(column(name, String()) for name in ("campaign_id", "source", "correlation_id")),
        column("reason_codes", JSON()),
        *(
            column(name, DateTime(timezone=True))
            for name in ("received_at", "submitted_at", "rejected_at", "recorded_at")
        ),
    )
    row = {
        "event_id": uuid.uuid4(),
        "campaign_id": "spring-demo",
        "source": "generic",
        "correlation_id": "c-1",
        "reason_codes": ["email.invalid", "consent.missing"],
        "received_at": NOW,
        "submitted_at": NOW,
        "rejected_at": NOW,
        "recorded_at": NOW,
    }

    def table_names(connection: Connection) -> set[str]:
        return set(inspect(connection).get_table_names())

    engine = create_engine(empty_database_url)
    try:
        await migrate(engine, "0003")
        async with engine.connect() as connection:
            assert "lead_rejections" not in await connection.run_sync(table_names)
        await migrate(engine, "0004")
        async with engine.begin() as connection:
            await connection.execute(insert(rejections), row)
        async with engine.connect() as connection:
            stored = (await connection.execute(select(rejections.c.reason_codes))).scalars().all()
            assert stored == [["email.invalid", "consent.missing"]]
            with pytest.raises(IntegrityError):
                await connection.execute(insert(rejections), row)
        await downgrade(engine, "0003")
        async with engine.connect() as connection:
            assert "lead_rejections" not in await connection.run_sync(table_names)
    finally:
        await engine.dispose()


OUTBOX_0006 = table(
    "outbox",
    column("id", Uuid()),
    *(column(name, String()) for name in ("kind", "destination", "key", "payload")),
    column("headers", JSON()),
    *(column(name, String()) for name in ("idempotency_key", "status")),
    column("attempts", Integer()),
    *(column(name, DateTime(timezone=True)) for name in ("created_at", "next_attempt_at")),
)


def _outbox_row(n: int) -> dict[str, object]:
    return {
        "id": uuid.uuid4(),
        "kind": "crm",
        "destination": "default",
        "key": "lead-1",
        "payload": str(n),
        "headers": {},
        "idempotency_key": f"a-{n}",
        "status": "pending",
        "attempts": 0,
        "created_at": NOW,
        "next_attempt_at": NOW,
    }


async def test_0007_numbers_outbox_messages_in_written_order_old_and_new(
    empty_database_url: str,
) -> None:
    # The relay delivers each stream in ``seq`` order: rows from before 0007 are
    # numbered, and every insert afterwards (one row or many) gets a higher number,
    # on SQLite by a trigger that a later rebuild of the table must not lose.
    engine = create_engine(empty_database_url)
    try:
        await migrate(engine, "0006")
        async with engine.begin() as connection:
            await connection.execute(insert(OUTBOX_0006), [_outbox_row(0), _outbox_row(1)])
        await migrate(engine)
        async with engine.begin() as connection:
            await connection.execute(insert(OUTBOX_0006), _outbox_row(2))
            await connection.execute(insert(OUTBOX_0006), [_outbox_row(3), _outbox_row(4)])
            numbered = (
                await connection.execute(text("SELECT payload, seq FROM outbox ORDER BY seq"))
            ).all()
        assert [payload for payload, _ in numbered] == ["0", "1", "2", "3", "4"]
        assert all(seq > 0 for _, seq in numbered)
        assert len({seq for _, seq in numbered}) == 5
    finally:
        await engine.dispose()
