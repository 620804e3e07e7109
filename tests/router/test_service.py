"""The routing use cases against a real database (SQLite and PostgreSQL), without Kafka:
replay stability, merging within a batch, capacity counted from stored assignments,
the unassigned re-check."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.platform.outbox import OutboxRow
from leadrouter_router.routing.models import DecisionRow
from leadrouter_router.routing.service import Routed, reroute_unassigned, route_scored_leads
from leadrouter_router.salespeople.models import SalespersonRow
from leadrouter_schemas import Company, LeadScored
from tests.support.samples import scored

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def lead(email: str, company: str) -> LeadScored:
    event = scored(email, f"corr-{email}")
    changed = event.data.lead.model_copy(
        update={"lead_key": f"email:{email}", "company": Company(name=company)}
    )
    return event.model_copy(update={"data": event.data.model_copy(update={"lead": changed})})


async def add_person(
    sessions: async_sessionmaker[AsyncSession], name: str, *, offset: int = 0, **values: object
) -> SalespersonRow:
    async with sessions.begin() as session:
        at = NOW + timedelta(milliseconds=offset)
        row = SalespersonRow(
            name=name, email=f"{name}@example.com", created_at=at, updated_at=at, **values
        )
        session.add(row)
    return row


async def count(sessions: async_sessionmaker[AsyncSession], table: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def route(
    sessions: async_sessionmaker[AsyncSession], events: list[LeadScored], now: datetime = NOW
) -> list[Routed]:
    async with sessions.begin() as session:
        return list(await route_scored_leads(session, events, now=now, assigned_topic="assigned"))


async def test_a_replayed_event_returns_the_recorded_decision_and_writes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_person(sessions, "ana")
    await add_person(sessions, "ben", offset=1)
    event = lead("ada@one.example", "One")
    (first,) = await route(sessions, [event])
    before = [await count(sessions, t) for t in (LeadRow, DecisionRow, AssignmentRow, OutboxRow)]

    (again,) = await route(sessions, [event], now=NOW + timedelta(hours=1))

    assert again.replayed
    assert (again.lead_id, again.salesperson_id) == (first.lead_id, first.salesperson_id)
    after = [await count(sessions, t) for t in (LeadRow, DecisionRow, AssignmentRow, OutboxRow)]
    assert after == before == [1, 1, 1, 2]


async def test_the_same_person_twice_in_one_batch_is_merged_into_the_first(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_person(sessions, "ana")
    first, second = await route(
        sessions,
        [lead("ada@one.example", "One"), lead("Ada+again@One.example", "Other")],
    )
    assert (first.outcome, second.outcome) == ("assigned", "merged")
    assert await count(sessions, AssignmentRow) == 1


async def test_daily_capacity_counts_what_is_stored_and_then_the_lead_waits(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ana = await add_person(sessions, "ana", max_new_per_day=1)
    (one,) = await route(sessions, [lead("one@one.example", "One")])
    (two,) = await route(sessions, [lead("two@two.example", "Two")], now=NOW + timedelta(hours=1))
    assert one.salesperson_id == ana.id
    assert two.outcome == "unassigned"

    async with sessions.begin() as session:
        assert (
            await reroute_unassigned(session, now=NOW + timedelta(hours=2), assigned_topic="a")
            == []
        )
    ben = await add_person(sessions, "ben", offset=1)
    async with sessions.begin() as session:
        (late,) = await reroute_unassigned(
            session, now=NOW + timedelta(hours=3), assigned_topic="a"
        )
    assert (late.lead_id, late.salesperson_id) == (two.lead_id, ben.id)
    assert await count(sessions, DecisionRow) == 3
    assert await count(sessions, OutboxRow) == 4
