"""CRUD for territories (countries, regions, postal-code prefixes)."""

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from leadrouter_router.errors import Conflict
from leadrouter_router.platform.auth import AUTH_RESPONSES, CONFLICT, NOT_FOUND, require
from leadrouter_router.platform.lookup import get_or_404
from leadrouter_router.platform.routes import ResourceRoute
from leadrouter_router.state import Session
from leadrouter_router.territories import repository
from leadrouter_router.territories.models import TerritoryRow
from leadrouter_router.territories.schemas import TerritoryIn, TerritoryList, TerritoryOut
from leadrouter_runtime.problems import PROBLEM_RESPONSES

READ = [Depends(require("read"))]
ADMIN = [Depends(require("admin"))]
WRITE_RESPONSES = {**AUTH_RESPONSES, **PROBLEM_RESPONSES, **CONFLICT}

router = APIRouter(prefix="/v1/territories", tags=["territories"], route_class=ResourceRoute)
Territory = Annotated[
    TerritoryRow,
    Depends(get_or_404(repository.get, "territory_id", uuid.UUID, "No territory {}.")),
]


async def _unique(session: Session, name: str, current: TerritoryRow | None = None) -> None:
    other = await repository.by_name(session, name)
    if other is not None and other is not current:
        raise Conflict(f"A territory named {name} exists.")


@router.get("", dependencies=READ, responses=AUTH_RESPONSES, summary="All territories")
async def list_territories(session: Session) -> TerritoryList:
    rows = await repository.all_territories(session)
    return TerritoryList(items=[TerritoryOut.model_validate(row) for row in rows])


@router.post(
    "", status_code=201, dependencies=ADMIN, responses=WRITE_RESPONSES, summary="Add a territory"
)
async def create_territory(body: TerritoryIn, session: Session) -> TerritoryOut:
    await _unique(session, body.name)
    row = TerritoryRow(id=uuid.uuid4(), created_at=datetime.now(UTC), **body.model_dump())
    session.add(row)
    await session.flush()
    return TerritoryOut.model_validate(row)


@router.get(
    "/{territory_id}",
    dependencies=READ,
    responses={**AUTH_RESPONSES, **NOT_FOUND},
    summary="One territory",
)
async def get_territory(territory: Territory) -> TerritoryOut:
    return TerritoryOut.model_validate(territory)


@router.put(
    "/{territory_id}",
    dependencies=ADMIN,
    responses={**WRITE_RESPONSES, **NOT_FOUND},
    summary="Replace a territory",
)
async def replace_territory(row: Territory, body: TerritoryIn, session: Session) -> TerritoryOut:
    await _unique(session, body.name, row)
    for name, value in body.model_dump().items():
        setattr(row, name, value)
    await session.flush()
    return TerritoryOut.model_validate(row)


@router.delete(
    "/{territory_id}",
    status_code=204,
    response_class=Response,
    dependencies=ADMIN,
    responses={**AUTH_RESPONSES, **NOT_FOUND},
    summary="Remove a territory",
)
async def delete_territory(territory: Territory, session: Session) -> Response:
    await session.delete(territory)
    return Response(status_code=204)
