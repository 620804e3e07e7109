"""Decision rows of both versions read back as the full record (SQLite and PostgreSQL):
a row written before the compact form (version 1) as it was written, a compact one
(version 2) with its policy version's rules (also once that policy is deleted) and the
salespeople's names."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrouter_router.leads.models import LeadRow
from leadrouter_router.platform.db import create_engine, session_factory
from leadrouter_router.policies import repository as policies
from leadrouter_router.policies.models import RoutingPolicyRow
from leadrouter_router.routing import service
from leadrouter_router.routing.engine import decide
from leadrouter_router.routing.models import DecisionRow
from leadrouter_router.routing.record import stored
from leadrouter_router.salespeople.models import SalespersonRow
from tests.router.record_world import NOW, POLICY_ID, decide_all, golden, people, policy


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)  # migrated already (tests/conftest.py)
    yield session_factory(engine)
    await engine.dispose()


async def write_world(sessions: async_sessionmaker[AsyncSession]) -> list[uuid.UUID]:
    """The world's salespeople, policy version and leads; each lead's decision as the
    compact form (even leads) or as the full JSON main wrote (odd leads)."""
    world = policy()
    decision_ids = []
    async with sessions.begin() as session:
        session.add_all(
            SalespersonRow(
                id=person.id, name=person.name, email=person.email, created_at=NOW, updated_at=NOW
            )
            for person in people().values()
        )
        session.add(
            RoutingPolicyRow(
                id=POLICY_ID,
                name=world.name,
                version=world.version,
                document=world.document.model_dump(mode="json"),
                created_at=NOW,
            )
        )
        await session.flush()
        for n, ((decision, facts), before) in enumerate(
            zip(decide_all(decide), golden(), strict=True)
        ):
            assert facts.lead_id is not None
            session.add(lead_row(facts.lead_id, facts.lead_key, decision.outcome))
            await session.flush()
            row = DecisionRow(id=uuid.uuid4(), lead_id=facts.lead_id, outcome=decision.outcome)
            row.policy_name, row.policy_version, row.decided_at = world.name, world.version, NOW
            if n % 2:
                row.record = before
            else:
                row.compact = stored(decision.record)
            session.add(row)
            decision_ids.append(row.id)
    return decision_ids


def lead_row(lead_id: uuid.UUID, lead_key: str, status: str) -> LeadRow:
    row = LeadRow(id=lead_id, lead_key=lead_key, status=status, **LEAD)
    row.scored_event_id = uuid.uuid4()
    return row


LEAD: dict[str, Any] = {"correlation_id": "record", "campaign_id": "spring", "score": 60}
LEAD |= {"grade": "B", "scored": {}, "received_at": NOW}


async def records(
    sessions: async_sessionmaker[AsyncSession], ids: list[uuid.UUID]
) -> list[dict[str, Any]]:
    async with sessions.begin() as session:
        found = []
        for decision_id in ids:
            row = await session.scalar(select(DecisionRow).where(DecisionRow.id == decision_id))
            assert row is not None
            found.append((await service.explanation(session, row)).model_dump(mode="json"))
        return found


async def test_rows_of_both_versions_show_the_full_record_written_before(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ids = await write_world(sessions)
    assert await records(sessions, ids) == golden()


async def test_a_deleted_policy_still_explains_the_decisions_that_named_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ids = await write_world(sessions)
    async with sessions.begin() as session:
        await policies.delete_policy(session, policy().name, now=datetime.now(UTC))
    async with sessions.begin() as session:
        assert await policies.policy_versions(session, policy().name) == []
        assert await policies.policy_document(session, POLICY_ID) is not None
    assert await records(sessions, ids) == golden()
