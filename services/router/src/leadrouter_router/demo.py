"""The demo set-up that ``make run`` routes to, as data: three salespeople in one team,
and a ``default`` policy sending every lead to that team in turn (seeded only into an
empty database)."""

from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.policies.models import RoutingPolicyRow
from leadrouter_router.policies.policy import DEFAULT_POLICY_NAME, PolicyDocument, Rule
from leadrouter_router.salespeople import repository
from leadrouter_router.salespeople.models import SalespersonRow, TeamMemberRow, TeamRow

log = structlog.get_logger(__name__)

DEMO_TEAM_NAME = "demo"
DEMO_TEAM: tuple[tuple[str, str, str, list[str]], ...] = (
    ("María López", "maria.lopez@example.com", "crm-user-101", ["es", "en"]),
    ("Jonas Becker", "jonas.becker@example.com", "crm-user-102", ["de", "en"]),
    ("Aiko Tanaka", "aiko.tanaka@example.com", "crm-user-103", ["ja", "en"]),
)


async def seed_demo_team(session: AsyncSession, *, now: datetime) -> int:
    if await repository.count(session):
        return 0
    team = TeamRow(name=DEMO_TEAM_NAME, description="The demo sales team", created_at=now)
    session.add(team)
    people = []
    for position, (name, email, crm_user_id, languages) in enumerate(DEMO_TEAM):
        # Distinct creation times fix the round-robin order.
        at = now + timedelta(milliseconds=position)
        people.append(
            SalespersonRow(
                name=name,
                email=email,
                crm_user_id=crm_user_id,
                languages=languages,
                created_at=at,
                updated_at=at,
            )
        )
    session.add_all(people)
    await session.flush()
    session.add_all(TeamMemberRow(team_id=team.id, salesperson_id=p.id) for p in people)
    document = PolicyDocument(rules=(Rule(name="everyone to the demo team", pool=DEMO_TEAM_NAME),))
    session.add(
        RoutingPolicyRow(
            name=DEFAULT_POLICY_NAME,
            version=1,
            document=document.model_dump(mode="json"),
            created_at=now,
        )
    )
    await session.flush()
    log.info("salespeople.demo_seeded", count=len(DEMO_TEAM), team=DEMO_TEAM_NAME)
    return len(DEMO_TEAM)
