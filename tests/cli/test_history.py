"""``leadrouter demo history``: the generative model (pure) and what it writes into a
real router database (SQLite and PostgreSQL), read back through the router's models."""

from collections import Counter, defaultdict

from sqlalchemy import func, select

from leadrouter_cli.errors import ExitCode
from leadrouter_router.campaigns.models import CampaignRow
from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.outcomes.models import CallbackRow
from leadrouter_router.platform.db import create_engine, session_factory
from leadrouter_router.salespeople.models import SalespersonRow
from tests.cli.conftest import invoke
from tests.support.history import large_history, stories

BUCKETS_H = (0.5, 4.0, 24.0, float("inf"))  # up to 30 min, 4 h, a day, later


def test_the_same_seed_gives_the_same_history() -> None:
    first, again, other = stories(300, 5), stories(300, 5), stories(300, 6)
    assert [(s.data, s.outcome, s.outcome_at) for s in first] == [
        (s.data, s.outcome, s.outcome_at) for s in again
    ]
    assert [s.outcome for s in first] != [s.outcome for s in other]


def test_buying_elsewhere_rises_with_the_time_to_first_touch() -> None:
    by_bucket: dict[float, Counter[str]] = defaultdict(Counter)
    for story in large_history():
        if story.outcome is None or story.first_touch_at is None:
            continue
        hours = (story.first_touch_at - story.received_at).total_seconds() / 3600
        by_bucket[next(b for b in BUCKETS_H if hours <= b)][story.outcome] += 1
    rates = [by_bucket[b]["bought_elsewhere"] / by_bucket[b].total() for b in BUCKETS_H]
    assert all(by_bucket[b].total() >= 100 for b in BUCKETS_H), by_bucket
    assert rates == sorted(rates), rates
    assert rates[-1] - rates[0] > 0.2, rates


def test_leads_are_scored_by_the_campaign_model_and_their_wins_follow_the_score() -> None:
    closed_stories = [s for s in large_history() if s.outcome is not None]
    assert {s.data.score.model_version for s in closed_stories} == {"default-2"}
    assert all(s.data.score.explanation for s in closed_stories)
    won = Counter(s.data.score.grade for s in closed_stories if s.outcome == "won")
    closed = Counter(s.data.score.grade for s in closed_stories)
    assert won["B"] / closed["B"] > won["C"] / closed["C"] > won["D"] / max(1, closed["D"])


async def test_history_fills_an_empty_router_database(database_url: str) -> None:
    args = ("demo", "history", "--leads", "500", "--days", "30", "--seed", "3")
    result = await invoke(*args, "--database-url", database_url)
    assert result.code == 0, result
    assert "wrote 500 leads" in result.stdout

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            assert await session.scalar(select(func.count()).select_from(LeadRow)) == 500
            campaigns = set((await session.scalars(select(CampaignRow.campaign_id))).all())
            assert campaigns == {"spring-demo", "whitepaper-2026"}
            assert await session.scalar(select(func.count()).select_from(SalespersonRow)) == 3
            closed = (
                await session.scalars(select(LeadRow).where(LeadRow.status == "closed"))
            ).all()
            assert len(closed) > 300
            for lead in closed[:50]:
                last = await session.scalar(
                    select(AssignmentRow)
                    .where(AssignmentRow.lead_id == lead.id)
                    .order_by(AssignmentRow.assigned_at.desc())
                    .limit(1)
                )
                callback = await session.scalar(
                    select(CallbackRow).where(
                        CallbackRow.lead_id == lead.id, CallbackRow.action == "outcome"
                    )
                )
                assert last is not None
                assert callback is not None
                assert last.stage == callback.outcome
                assert last.salesperson_id == lead.owner_id == callback.salesperson_id
                assert last.first_touch_at is not None
                assert last.ended_at is not None
                assert lead.received_at <= last.first_touch_at <= last.ended_at
                if callback.outcome == "won":
                    assert callback.value
                    assert callback.currency == "EUR"
                assert lead.scored["score"]["value"] == lead.score
    finally:
        await engine.dispose()

    again = await invoke(*args, "--database-url", database_url)
    assert again.code == ExitCode.USAGE
    assert "has 500 leads already" in again.stderr
