"""All SQL about routing policies."""

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.policies.models import RetiredPolicyRow, RoutingPolicyRow


async def latest_policies(
    session: AsyncSession, names: Collection[str] | None = None
) -> dict[str, RoutingPolicyRow]:
    """The current (highest) version of each named policy."""
    latest = (
        select(RoutingPolicyRow.name, func.max(RoutingPolicyRow.version).label("version"))
        .group_by(RoutingPolicyRow.name)
        .subquery()
    )
    query = select(RoutingPolicyRow).join(
        latest,
        (RoutingPolicyRow.name == latest.c.name) & (RoutingPolicyRow.version == latest.c.version),
    )
    if names is not None:
        query = query.where(RoutingPolicyRow.name.in_(names))
    return {row.name: row for row in (await session.scalars(query)).all()}


async def policy_versions(session: AsyncSession, name: str) -> Sequence[RoutingPolicyRow]:
    result = await session.scalars(
        select(RoutingPolicyRow)
        .where(RoutingPolicyRow.name == name)
        .order_by(RoutingPolicyRow.version.desc())
    )
    return result.all()


async def policy_history(session: AsyncSession, name: str) -> Sequence[RoutingPolicyRow] | None:
    """A policy's versions, newest first; None when there is no such policy."""
    return await policy_versions(session, name) or None


async def delete_policy(session: AsyncSession, name: str, *, now: datetime) -> None:
    """Every version of the policy, moved to ``retired_policies``: the decision records
    that name a version still find its rules there."""
    versions = select(
        RoutingPolicyRow.id,
        RoutingPolicyRow.name,
        RoutingPolicyRow.version,
        RoutingPolicyRow.document,
        RoutingPolicyRow.created_at,
        literal(now, RetiredPolicyRow.retired_at.type),
    ).where(RoutingPolicyRow.name == name)
    columns = ["id", "name", "version", "document", "created_at", "retired_at"]
    await session.execute(insert(RetiredPolicyRow).from_select(columns, versions))
    await session.execute(delete(RoutingPolicyRow).where(RoutingPolicyRow.name == name))


async def policy_document(session: AsyncSession, policy_id: uuid.UUID) -> dict[str, Any] | None:
    """A policy version's document by its id, current or retired."""
    found = await session.scalar(
        union_all(
            select(RoutingPolicyRow.document).where(RoutingPolicyRow.id == policy_id),
            select(RetiredPolicyRow.document).where(RetiredPolicyRow.id == policy_id),
        ).limit(1)
    )
    return dict(found) if found is not None else None
