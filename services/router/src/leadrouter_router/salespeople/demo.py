"""The demo sales team that ``make run`` routes to (seeded only into an empty table)."""

from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.salespeople import repository

log = structlog.get_logger(__name__)

DEMO_TEAM: tuple[tuple[str, str, str], ...] = (
    ("María López", "maria.lopez@example.com", "crm-user-101"),
    ("Jonas Becker", "jonas.becker@example.com", "crm-user-102"),
    ("Aiko Tanaka", "aiko.tanaka@example.com", "crm-user-103"),
)


async def seed_demo_team(session: AsyncSession, *, now: datetime) -> int:
    if await repository.count(session):
        return 0
    for position, (name, email, crm_user_id) in enumerate(DEMO_TEAM):
        # Distinct creation times fix the round-robin order.
        repository.add(
            session,
            name=name,
            email=email,
            crm_user_id=crm_user_id,
            now=now + timedelta(milliseconds=position),
        )
    log.info("salespeople.demo_seeded", count=len(DEMO_TEAM))
    return len(DEMO_TEAM)
