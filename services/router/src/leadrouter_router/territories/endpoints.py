"""CRUD for territories (countries, regions, postal-code prefixes)."""

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Response

from leadrouter_router.errors import Conflict
from leadrouter_router.platform import rows
from leadrouter_router.platform.auth import CONFLICT, NOT_FOUND
from leadrouter_router.platform.lookup import get_or_404
from leadrouter_router.platform.routes import ResourceRoute, ScopedRouter, no_content
from leadrouter_router.state import Session
from leadrouter_router.territories import repository
from leadrouter_router.territories.models import TerritoryRow
from leadrouter_router.territories.schemas import TerritoryIn, TerritoryList, TerritoryOut

router = ScopedRouter(prefix="/v1/territories", tags=["territories"], route_class=ResourceRoute)
Territory = Annotated[
    TerritoryRow,
    Depends(get_or_404(repository.get, "territory_id", uuid.UUID, "No territory {}.")),
]


async def _unique(session: Session, name: str, current: TerritoryRow | None = None) -> None:
    other = await repository.by_name(session, name)
    if other is not None and other is not current:
        raise Conflict(f"A territory named {name} exists.")


@router.read("", "All territories")
async def list_territories(session: Session) -> TerritoryList:
    territories = await repository.all_territories(session)
    return TerritoryList(items=[TerritoryOut.model_validate(row) for row in territories])


@router.add("", "Add a territory", CONFLICT)
async def create_territory(body: TerritoryIn, session: Session) -> TerritoryOut:
    await _unique(session, body.name)
    row = TerritoryRow(id=uuid.uuid4(), created_at=datetime.now(UTC), **body.model_dump())
    return TerritoryOut.model_validate(await rows.add(session, row))


@router.read("/{territory_id}", "One territory", NOT_FOUND)
async def get_territory(territory: Territory) -> TerritoryOut:
    return TerritoryOut.model_validate(territory)


@router.replace("/{territory_id}", "Replace a territory", CONFLICT, NOT_FOUND)
async def replace_territory(row: Territory, body: TerritoryIn, session: Session) -> TerritoryOut:
    await _unique(session, body.name, row)
    return TerritoryOut.model_validate(await rows.update(session, row, body.model_dump()))


@router.remove("/{territory_id}", "Remove a territory", NOT_FOUND)
async def delete_territory(territory: Territory, session: Session) -> Response:
    await session.delete(territory)
    return no_content()
