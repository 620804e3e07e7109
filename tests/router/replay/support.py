"""A router database with a past to replay: the demo team and two pools (`demo` for the
demo-request campaign, `content` for the rest, the same three people), a `solo` team
of one, the policy in force from before the window, then the seeded history of
``leadrouter demo history`` (SQLite and PostgreSQL)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from leadrouter_cli.history.store import fill
from leadrouter_router.demo import seed_demo_team
from leadrouter_router.platform.db import create_engine, migrate, session_factory
from leadrouter_router.policies.policy import PolicyDocument
from leadrouter_router.policies.service import save_policy
from leadrouter_router.salespeople.models import SalespersonRow, TeamMemberRow, TeamRow

NOW = datetime.now(UTC).replace(microsecond=0)
SPLIT = PolicyDocument.model_validate(
    {
        "rules": [
            {
                "name": "demo requests",
                "when": [{"field": "campaign_id", "op": "eq", "value": "spring-demo"}],
                "pool": "demo",
            },
            {"name": "the rest", "pool": "content"},
        ]
    }
)
TO_SOLO = PolicyDocument.model_validate(
    {"rules": [SPLIT.rules[0].model_dump(), {"name": "the rest", "pool": "solo"}]}
)
SOLO = "María López"


async def history_to_replay(database_url: str, *, leads: int = 400, days: float = 20) -> None:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        async with session_factory(engine)() as session, session.begin():
            before = NOW - timedelta(days=days + 10)
            await seed_demo_team(session, now=before)
            people = (await session.scalars(select(SalespersonRow))).all()
            for name in ("content", "solo"):
                team = TeamRow(name=name, created_at=before)
                session.add(team)
                await session.flush()
                session.add_all(
                    TeamMemberRow(team_id=team.id, salesperson_id=person.id)
                    for person in people
                    if name == "content" or person.name == SOLO
                )
            await session.flush()
            await save_policy(session, "default", SPLIT, now=before)
            await fill(session, leads_count=leads, days=days, seed=11, now=NOW)
    finally:
        await engine.dispose()
