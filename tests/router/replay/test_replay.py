"""Replaying the seeded history: what is in force moves nothing, a pool change moves
exactly the leads it concerns, and nothing is written (SQLite and PostgreSQL)."""

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.platform.db import create_engine, session_factory
from leadrouter_router.policies.policy import PolicyDocument
from leadrouter_router.replay import repository
from leadrouter_router.replay.engine import Replay
from leadrouter_router.replay.service import ReplayResult, replay_window
from leadrouter_router.routing.snapshot import load_configuration
from tests.router.replay.support import NOW, SOLO, SPLIT, TO_SOLO, history_to_replay

DAYS = 20


async def _replay(database_url: str, candidate: PolicyDocument | None) -> ReplayResult:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return await replay_window(
                session, since=NOW - timedelta(days=DAYS + 1), until=NOW, candidate=candidate
            )
    finally:
        await engine.dispose()


async def _counts(database_url: str) -> tuple[int, int]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            leads = (await session.execute(select(func.count()).select_from(LeadRow))).scalar()
            rows = (await session.execute(select(func.count()).select_from(AssignmentRow))).scalar()
            return int(leads or 0), int(rows or 0)
    finally:
        await engine.dispose()


async def test_what_is_in_force_moves_nothing_and_a_pool_change_moves_exactly_its_leads(
    database_url: str,
) -> None:
    await history_to_replay(database_url, leads=400, days=DAYS)
    stored = await _counts(database_url)

    same = await _replay(database_url, SPLIT)  # the policy in force, as a candidate
    nothing = await _replay(database_url, None)
    solo = await _replay(database_url, TO_SOLO)

    assert same.tally.leads == nothing.tally.leads == solo.tally.leads == 400
    assert same.tally.moved == nothing.tally.moved == []
    assert same.tally.gini("before", same.people) == same.tally.gini("after", same.people)

    # The content campaign's leads that the content pool gave to someone other than
    # María go to her; and so do the demo requests of a company whose open lead moved
    # (the owner circuit keeps a company with one salesperson). Nothing else moves.
    maria = next(person for person, name in solo.people.items() if name == SOLO)
    moved = {m.lead.id for m in solo.tally.moved}
    content = [m for m in solo.tally.moved if m.lead.data.lead.campaign_id == "whitepaper-2026"]
    followers = [m for m in solo.tally.moved if m not in content]
    assert content
    assert all(m.before.owner != maria and m.after.owner == maria for m in content)
    assert all(m.after.via in ("rule", "open_lead") for m in content)
    assert all(m.after.via == "open_lead" and m.after.owner == maria for m in followers)
    assert all(m.changes == ("owner",) for m in solo.tally.moved)
    # And every content lead the content pool gave to someone else did move.
    unmoved = [
        lead_id
        for lead_id, before in (await _content_owners(database_url)).items()
        if before != maria and lead_id not in moved
    ]
    assert unmoved == []
    load = {row.salesperson_id: row for row in solo.tally.loads(solo.people)}
    assert load[maria].after - load[maria].before == len(moved)
    assert solo.tally.gini("after", solo.people) > solo.tally.gini("before", solo.people)  # type: ignore[operator]
    assert sum(solo.tally.outcomes_of_moved.values()) == len(moved)

    assert await _counts(database_url) == stored  # nothing written


async def _content_owners(database_url: str) -> dict[uuid.UUID, uuid.UUID | None]:
    """Content leads a rule assigned as things are, and to whom: the engine's own
    replay, lead by lead."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            replay = Replay(
                await load_configuration(session),
                policy_versions=await repository.policy_versions(session),
            )
            campaigns = await repository.all_campaigns(session)
            leads = await repository.leads_page(
                session,
                since=NOW - timedelta(days=DAYS + 1),
                until=NOW,
                campaign_id=None,
                after=None,
                limit=10_000,
                campaigns=campaigns,
            )
    finally:
        await engine.dispose()
    owners = {}
    for lead in leads:
        decided = replay.decide(lead)
        if lead.data.lead.campaign_id == "whitepaper-2026" and decided.via == "rule":
            owners[lead.id] = decided.owner
    return owners
