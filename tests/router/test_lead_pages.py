"""Leads and assignments listed a page at a time (SQLite and PostgreSQL): newest first,
ties broken by id, each page after the last row of the one before, within a window."""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrouter_router.leads import repository
from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.salespeople.models import SalespersonRow
from tests.support.samples import NOW

# Six rows, two of them at the same time (the id decides between them).
MINUTES = (0, 1, 2, 2, 3, 4)


async def write_rows(
    sessions: async_sessionmaker[AsyncSession],
) -> list[tuple[datetime, uuid.UUID]]:
    """The leads' (received_at, id), each assigned at the time it was received."""
    person = SalespersonRow(
        id=uuid.uuid4(), name="Ada", email="ada@example.com", created_at=NOW, updated_at=NOW
    )
    keys = []
    async with sessions.begin() as session:
        session.add(person)
        for n, minute in enumerate(MINUTES):
            at, lead_id = NOW + timedelta(minutes=minute), uuid.uuid4()
            session.add(
                LeadRow(
                    id=lead_id,
                    lead_key=f"email:{n}@example.com",
                    status="assigned",
                    correlation_id=f"page-{n}",
                    campaign_id="spring",
                    score=60,
                    grade="B",
                    scored={},
                    received_at=at,
                    scored_event_id=uuid.uuid4(),
                )
            )
            await session.flush()
            session.add(
                AssignmentRow(
                    id=lead_id,  # the same key as its lead: one order for both lists
                    lead_id=lead_id,
                    salesperson_id=person.id,
                    reason="test",
                    assigned_at=at,
                )
            )
            keys.append((at, lead_id))
    return keys


Lister = Callable[..., Awaitable[Sequence[Any]]]


async def all_pages(
    sessions: async_sessionmaker[AsyncSession], lister: Lister, **window: Any
) -> list[list[uuid.UUID]]:
    pages: list[list[uuid.UUID]] = []
    after = None
    while True:
        async with sessions() as session:
            rows = await lister(session, limit=2, after=after, **window)
        if not rows:
            return pages
        pages.append([row.id for row in rows])
        at = rows[-1].received_at if isinstance(rows[-1], LeadRow) else rows[-1].assigned_at
        after = (at.replace(tzinfo=NOW.tzinfo), rows[-1].id)


def newest_first(keys: list[tuple[datetime, uuid.UUID]]) -> list[uuid.UUID]:
    return [row_id for _, row_id in sorted(keys, reverse=True)]


async def test_leads_and_assignments_come_newest_first_a_page_at_a_time(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    keys = await write_rows(sessions)
    expected = newest_first(keys)

    for lister in (repository.list_leads, repository.list_assignments):
        pages = await all_pages(sessions, lister)
        assert [len(page) for page in pages] == [2, 2, 2]
        assert [row_id for page in pages for row_id in page] == expected


async def test_a_window_takes_its_start_and_leaves_its_end(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    keys = await write_rows(sessions)
    start, end = NOW + timedelta(minutes=1), NOW + timedelta(minutes=3)
    expected = newest_first([(at, row_id) for at, row_id in keys if start <= at < end])

    leads = await all_pages(
        sessions, repository.list_leads, received_from=start, received_until=end
    )
    assignments = await all_pages(
        sessions, repository.list_assignments, assigned_from=start, assigned_until=end
    )

    assert [row_id for page in leads for row_id in page] == expected
    assert [row_id for page in assignments for row_id in page] == expected
