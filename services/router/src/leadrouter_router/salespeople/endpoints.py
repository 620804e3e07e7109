"""CRUD for salespeople (including availability and capacity) and teams (the pools)."""

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from leadrouter_router.platform.auth import AUTH_RESPONSES, CONFLICT, NOT_FOUND, require
from leadrouter_router.platform.lookup import get_or_404
from leadrouter_router.platform.routes import ResourceRoute
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
from leadrouter_runtime.problems import PROBLEM_RESPONSES

READ = [Depends(require("read"))]
ADMIN = [Depends(require("admin"))]
WRITE_RESPONSES = {**AUTH_RESPONSES, **PROBLEM_RESPONSES, **CONFLICT}

router = APIRouter(tags=["salespeople"], route_class=ResourceRoute)


def _now() -> datetime:
    return datetime.now(UTC)


Salesperson = Annotated[
    SalespersonRow,
    Depends(get_or_404(repository.get, "salesperson_id", uuid.UUID, "No salesperson {}.")),
]
Team = Annotated[TeamRow, Depends(get_or_404(repository.team, "team_id", uuid.UUID, "No team {}."))]


@router.get(
    "/v1/salespeople", dependencies=READ, responses=AUTH_RESPONSES, summary="All salespeople"
)
async def list_salespeople(session: Session) -> SalespersonList:
    rows = await repository.all_salespeople(session)
    return SalespersonList(items=await service.salesperson_out(session, rows))


@router.post(
    "/v1/salespeople",
    status_code=201,
    dependencies=ADMIN,
    responses=WRITE_RESPONSES,
    summary="Add a salesperson",
)
async def create_salesperson(body: SalespersonIn, session: Session) -> SalespersonOut:
    row = await service.create_salesperson(session, body, now=_now())
    return (await service.salesperson_out(session, [row]))[0]


@router.get(
    "/v1/salespeople/{salesperson_id}",
    dependencies=READ,
    responses={**AUTH_RESPONSES, **NOT_FOUND},
    summary="One salesperson",
)
async def get_salesperson(row: Salesperson, session: Session) -> SalespersonOut:
    return (await service.salesperson_out(session, [row]))[0]


@router.put(
    "/v1/salespeople/{salesperson_id}",
    dependencies=ADMIN,
    responses={**WRITE_RESPONSES, **NOT_FOUND},
    summary="Replace a salesperson",
)
async def replace_salesperson(
    person: Salesperson, body: SalespersonIn, session: Session
) -> SalespersonOut:
    row = await service.update_salesperson(session, person, body, now=_now())
    return (await service.salesperson_out(session, [row]))[0]


@router.patch(
    "/v1/salespeople/{salesperson_id}",
    dependencies=ADMIN,
    responses={**WRITE_RESPONSES, **NOT_FOUND},
    summary="Change part of a salesperson: availability, capacity, teams",
)
async def patch_salesperson(
    person: Salesperson, body: SalespersonPatch, session: Session
) -> SalespersonOut:
    row = await service.update_salesperson(session, person, body, now=_now())
    return (await service.salesperson_out(session, [row]))[0]


@router.delete(
    "/v1/salespeople/{salesperson_id}",
    status_code=204,
    response_class=Response,
    dependencies=ADMIN,
    responses={**AUTH_RESPONSES, **NOT_FOUND},
    summary="Mark a salesperson as gone (status left; history is kept)",
)
async def delete_salesperson(row: Salesperson, session: Session) -> Response:
    row.status, row.updated_at = "left", _now()
    await repository.remove_memberships(session, row.id)
    return Response(status_code=204)


@router.get("/v1/teams", dependencies=READ, responses=AUTH_RESPONSES, summary="All teams (pools)")
async def list_teams(session: Session) -> TeamList:
    return TeamList(items=await service.team_out(session, await repository.all_teams(session)))


@router.post(
    "/v1/teams",
    status_code=201,
    dependencies=ADMIN,
    responses=WRITE_RESPONSES,
    summary="Add a team",
)
async def create_team(body: TeamIn, session: Session) -> TeamOut:
    row = await service.create_team(session, body, now=_now())
    return (await service.team_out(session, [row]))[0]


@router.get(
    "/v1/teams/{team_id}",
    dependencies=READ,
    responses={**AUTH_RESPONSES, **NOT_FOUND},
    summary="One team with its members",
)
async def get_team(team: Team, session: Session) -> TeamOut:
    return (await service.team_out(session, [team]))[0]


@router.put(
    "/v1/teams/{team_id}",
    dependencies=ADMIN,
    responses={**WRITE_RESPONSES, **NOT_FOUND},
    summary="Rename or describe a team",
)
async def replace_team(team: Team, body: TeamIn, session: Session) -> TeamOut:
    row = await service.update_team(session, team, body)
    return (await service.team_out(session, [row]))[0]


@router.delete(
    "/v1/teams/{team_id}",
    status_code=204,
    response_class=Response,
    dependencies=ADMIN,
    responses={**AUTH_RESPONSES, **NOT_FOUND},
    summary="Remove a team (its members stay)",
)
async def delete_team(team: Team, session: Session) -> Response:
    await session.delete(team)
    return Response(status_code=204)
