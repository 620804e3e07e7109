"""All SQL about salespeople and teams."""

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.salespeople.models import SalespersonRow, TeamMemberRow, TeamRow


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(SalespersonRow)) or 0)


async def all_salespeople(session: AsyncSession) -> Sequence[SalespersonRow]:
    result = await session.scalars(
        select(SalespersonRow).order_by(SalespersonRow.created_at, SalespersonRow.id)
    )
    return result.all()


async def get(session: AsyncSession, salesperson_id: uuid.UUID) -> SalespersonRow | None:
    return await session.get(SalespersonRow, salesperson_id)


async def by_emails(session: AsyncSession, emails: Collection[str]) -> dict[str, SalespersonRow]:
    if not emails:
        return {}
    result = await session.scalars(select(SalespersonRow).where(SalespersonRow.email.in_(emails)))
    return {row.email: row for row in result.all()}


async def all_teams(session: AsyncSession) -> Sequence[TeamRow]:
    return (await session.scalars(select(TeamRow).order_by(TeamRow.name))).all()


async def team(session: AsyncSession, team_id: uuid.UUID) -> TeamRow | None:
    return await session.get(TeamRow, team_id)


async def team_by_name(session: AsyncSession, name: str) -> TeamRow | None:
    return await session.scalar(select(TeamRow).where(TeamRow.name == name))


async def members(
    session: AsyncSession, team_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Members of each team, in rotation order."""
    if not team_ids:
        return {}
    result = await session.execute(
        select(TeamMemberRow.team_id, TeamMemberRow.salesperson_id)
        .join(SalespersonRow, SalespersonRow.id == TeamMemberRow.salesperson_id)
        .where(TeamMemberRow.team_id.in_(team_ids))
        .order_by(SalespersonRow.created_at, SalespersonRow.id)
    )
    found: dict[uuid.UUID, list[uuid.UUID]] = {team_id: [] for team_id in team_ids}
    for team_id, person in result.all():
        found[team_id].append(person)
    return found


async def teams_of(
    session: AsyncSession, salesperson_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    if not salesperson_ids:
        return {}
    result = await session.execute(
        select(TeamMemberRow.salesperson_id, TeamRow.name)
        .join(TeamRow, TeamRow.id == TeamMemberRow.team_id)
        .where(TeamMemberRow.salesperson_id.in_(salesperson_ids))
        .order_by(TeamRow.name)
    )
    found: dict[uuid.UUID, list[str]] = {person: [] for person in salesperson_ids}
    for person, name in result.all():
        found[person].append(name)
    return found


async def set_members(
    session: AsyncSession, team_id: uuid.UUID, salesperson_ids: Collection[uuid.UUID]
) -> None:
    await session.execute(delete(TeamMemberRow).where(TeamMemberRow.team_id == team_id))
    session.add_all(TeamMemberRow(team_id=team_id, salesperson_id=p) for p in salesperson_ids)


async def remove_memberships(session: AsyncSession, salesperson_id: uuid.UUID) -> None:
    await session.execute(
        delete(TeamMemberRow).where(TeamMemberRow.salesperson_id == salesperson_id)
    )
