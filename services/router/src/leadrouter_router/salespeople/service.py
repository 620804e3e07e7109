"""Use cases for salespeople and teams (the caller's transaction; flush, never commit)."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.errors import Conflict, UnknownReference
from leadrouter_router.salespeople import repository
from leadrouter_router.salespeople.models import SalespersonRow, TeamMemberRow, TeamRow
from leadrouter_router.salespeople.schemas import (
    SalespersonIn,
    SalespersonOut,
    SalespersonPatch,
    TeamIn,
    TeamOut,
)


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    """Body values as the row stores them (dates and instants as ISO strings)."""
    out = {k: v for k, v in values.items() if k != "teams"}
    if out.get("holidays") is not None:
        out["holidays"] = [day.isoformat() for day in out["holidays"]]
    if out.get("out_of_office") is not None:
        out["out_of_office"] = [
            {"start": p["start"].isoformat(), "end": p["end"].isoformat()}
            for p in out["out_of_office"]
        ]
    return out


async def _set_teams(session: AsyncSession, person: SalespersonRow, names: Sequence[str]) -> None:
    teams = {team.name: team for team in await repository.all_teams(session)}
    unknown = sorted(set(names) - set(teams))
    if unknown:
        raise UnknownReference(f"No team named {', '.join(unknown)}.")
    await session.flush()
    await repository.remove_memberships(session, person.id)
    session.add_all(
        TeamMemberRow(team_id=teams[name].id, salesperson_id=person.id)
        for name in sorted(set(names))
    )


async def create_salesperson(
    session: AsyncSession, body: SalespersonIn, *, now: datetime
) -> SalespersonRow:
    if await repository.by_emails(session, [body.email]):
        raise Conflict(f"A salesperson with e-mail {body.email} exists.")
    row = SalespersonRow(
        id=uuid.uuid4(), created_at=now, updated_at=now, **_columns(body.model_dump())
    )
    session.add(row)
    await _set_teams(session, row, body.teams)
    await session.flush()
    return row


async def update_salesperson(
    session: AsyncSession,
    row: SalespersonRow,
    changes: SalespersonPatch | SalespersonIn,
    *,
    now: datetime,
) -> SalespersonRow:
    values = changes.model_dump(exclude_unset=isinstance(changes, SalespersonPatch))
    email = values.get("email", row.email)
    if email != row.email and await repository.by_emails(session, [email]):
        raise Conflict(f"A salesperson with e-mail {values['email']} exists.")
    for name, value in _columns(values).items():
        setattr(row, name, value)
    row.updated_at = now
    if values.get("teams") is not None:
        await _set_teams(session, row, values["teams"])
    await session.flush()
    return row


async def salesperson_out(
    session: AsyncSession, rows: Sequence[SalespersonRow]
) -> list[SalespersonOut]:
    teams = await repository.teams_of(session, [row.id for row in rows])
    return [
        SalespersonOut.model_validate(
            {
                **{c: getattr(row, c) for c in SalespersonOut.model_fields if c != "teams"},
                "teams": teams.get(row.id, []),
            }
        )
        for row in rows
    ]


async def create_team(session: AsyncSession, body: TeamIn, *, now: datetime) -> TeamRow:
    if await repository.team_by_name(session, body.name):
        raise Conflict(f"A team named {body.name} exists.")
    row = TeamRow(id=uuid.uuid4(), name=body.name, description=body.description, created_at=now)
    session.add(row)
    await session.flush()
    return row


async def update_team(session: AsyncSession, row: TeamRow, body: TeamIn) -> TeamRow:
    if body.name != row.name and await repository.team_by_name(session, body.name):
        raise Conflict(f"A team named {body.name} exists.")
    row.name, row.description = body.name, body.description
    await session.flush()
    return row


async def team_out(session: AsyncSession, rows: Sequence[TeamRow]) -> list[TeamOut]:
    members = await repository.members(session, [row.id for row in rows])
    return [
        TeamOut(
            id=row.id,
            name=row.name,
            description=row.description,
            members=members.get(row.id, []),
            created_at=row.created_at,
        )
        for row in rows
    ]
