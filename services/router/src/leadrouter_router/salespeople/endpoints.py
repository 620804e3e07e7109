"""CRUD for salespeople (including availability and capacity) and teams (the pools)."""

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Response

from leadrouter_router.platform.auth import CONFLICT, NOT_FOUND
from leadrouter_router.platform.lookup import get_or_404
from leadrouter_router.platform.routes import ResourceRoute, ScopedRouter, no_content
from leadrouter_router.salespeople import repository, service
from leadrouter_router.salespeople.models import SalespersonRow, TeamRow
from leadrouter_router.salespeople.schemas import (
    SalespersonIn,
    SalespersonList,
    SalespersonOut,
    SalespersonPatch,
    TeamIn,
    TeamList,
    TeamOut,
)
from leadrouter_router.state import Session

router = ScopedRouter(tags=["salespeople"], route_class=ResourceRoute)


def _now() -> datetime:
    return datetime.now(UTC)


Salesperson = Annotated[
    SalespersonRow,
    Depends(get_or_404(repository.get, "salesperson_id", uuid.UUID, "No salesperson {}.")),
]
Team = Annotated[TeamRow, Depends(get_or_404(repository.team, "team_id", uuid.UUID, "No team {}."))]


async def _salesperson(session: Session, row: SalespersonRow) -> SalespersonOut:
    return (await service.salesperson_out(session, [row]))[0]


async def _update(
    session: Session, person: SalespersonRow, body: SalespersonIn | SalespersonPatch
) -> SalespersonOut:
    """PUT and PATCH: the service applies what the body sets."""
    return await _salesperson(
        session, await service.update_salesperson(session, person, body, now=_now())
    )


async def _team(session: Session, row: TeamRow) -> TeamOut:
    return (await service.team_out(session, [row]))[0]


@router.read("/v1/salespeople", "All salespeople")
async def list_salespeople(session: Session) -> SalespersonList:
    rows = await repository.all_salespeople(session)
    return SalespersonList(items=await service.salesperson_out(session, rows))


@router.add("/v1/salespeople", "Add a salesperson", CONFLICT)
async def create_salesperson(body: SalespersonIn, session: Session) -> SalespersonOut:
    row = await service.create_salesperson(session, body, now=_now())
    return await _salesperson(session, row)


@router.read("/v1/salespeople/{salesperson_id}", "One salesperson", NOT_FOUND)
async def get_salesperson(row: Salesperson, session: Session) -> SalespersonOut:
    return await _salesperson(session, row)


@router.replace("/v1/salespeople/{salesperson_id}", "Replace a salesperson", CONFLICT, NOT_FOUND)
async def replace_salesperson(
    person: Salesperson, body: SalespersonIn, session: Session
) -> SalespersonOut:
    return await _update(session, person, body)


@router.change(
    "/v1/salespeople/{salesperson_id}",
    "Change part of a salesperson: availability, capacity, teams",
    CONFLICT,
    NOT_FOUND,
)
async def patch_salesperson(
    person: Salesperson, body: SalespersonPatch, session: Session
) -> SalespersonOut:
    return await _update(session, person, body)


@router.remove(
    "/v1/salespeople/{salesperson_id}",
    "Mark a salesperson as gone (status left; history is kept)",
    NOT_FOUND,
)
async def delete_salesperson(row: Salesperson, session: Session) -> Response:
    row.status, row.updated_at = "left", _now()
    await repository.remove_memberships(session, row.id)
    return no_content()


@router.read("/v1/teams", "All teams (pools)")
async def list_teams(session: Session) -> TeamList:
    return TeamList(items=await service.team_out(session, await repository.all_teams(session)))


@router.add("/v1/teams", "Add a team", CONFLICT)
async def create_team(body: TeamIn, session: Session) -> TeamOut:
    row = await service.create_team(session, body, now=_now())
    return await _team(session, row)


@router.read("/v1/teams/{team_id}", "One team with its members", NOT_FOUND)
async def get_team(team: Team, session: Session) -> TeamOut:
    return await _team(session, team)


@router.replace("/v1/teams/{team_id}", "Rename or describe a team", CONFLICT, NOT_FOUND)
async def replace_team(team: Team, body: TeamIn, session: Session) -> TeamOut:
    row = await service.update_team(session, team, body)
    return await _team(session, row)


@router.remove("/v1/teams/{team_id}", "Remove a team (its members stay)", NOT_FOUND)
async def delete_team(team: Team, session: Session) -> Response:
    await session.delete(team)
    return no_content()
