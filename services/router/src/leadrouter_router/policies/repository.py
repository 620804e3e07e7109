"""All SQL about routing policies."""

from collections.abc import Collection, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.policies.models import RoutingPolicyRow


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


async def delete_policy(session: AsyncSession, name: str) -> None:
    """Every version of the policy (decision records keep their copy)."""
    await session.execute(delete(RoutingPolicyRow).where(RoutingPolicyRow.name == name))
