"""All SQL that routing reads and writes: the snapshot a batch is routed against,
policies by version, pool rotations and decision records."""

import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.accounts.models import AccountRow
from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.routing.models import DecisionRow, PoolRotationRow, RoutingPolicyRow
from leadrouter_router.salespeople.models import SalespersonRow, TeamMemberRow, TeamRow
from leadrouter_router.territories.models import TerritoryRow

OPEN = "assigned"


# The snapshot reads plain rows (no ORM identity map): each batch reads every
# salesperson and account again, and building ORM objects for them costs more
# than the decisions they serve.


async def salespeople(session: AsyncSession) -> Sequence[Row[Any]]:
    """Everyone, in the stable order that rotations follow."""
    table = SalespersonRow.__table__
    result = await session.execute(select(table).order_by(table.c.created_at, table.c.id))
    return result.all()


async def pool_members(session: AsyncSession) -> list[tuple[str, uuid.UUID]]:
    result = await session.execute(
        select(TeamRow.name, TeamMemberRow.salesperson_id)
        .join(TeamMemberRow, TeamMemberRow.team_id == TeamRow.id)
        .join(SalespersonRow, SalespersonRow.id == TeamMemberRow.salesperson_id)
        .order_by(TeamRow.name, SalespersonRow.created_at, SalespersonRow.id)
    )
    return [(name, member) for name, member in result.all()]


async def territories(session: AsyncSession) -> Sequence[TerritoryRow]:
    return (await session.scalars(select(TerritoryRow).order_by(TerritoryRow.name))).all()


async def accounts(session: AsyncSession) -> Sequence[AccountRow]:
    return (
        await session.scalars(select(AccountRow).order_by(AccountRow.name, AccountRow.id))
    ).all()


async def related_leads(
    session: AsyncSession,
    *,
    lead_keys: Collection[str],
    email_keys: Collection[str],
    phone_keys: Collection[str],
    domains: Collection[str],
) -> Sequence[LeadRow]:
    """Leads that may be the same person, or open leads of the same company."""
    clauses: list[ColumnElement[bool]] = []
    if lead_keys:
        clauses.append(LeadRow.lead_key.in_(lead_keys))
    if email_keys:
        clauses.append(LeadRow.email_key.in_(email_keys))
    if phone_keys:
        clauses.append(LeadRow.phone_key.in_(phone_keys))
    if domains:
        clauses.append(LeadRow.company_domain.in_(domains) & (LeadRow.status == OPEN))
    if not clauses:
        return []
    query = select(LeadRow).where(or_(*clauses), LeadRow.status.in_(("assigned", "unassigned")))
    return (await session.scalars(query)).all()


async def open_load(session: AsyncSession) -> dict[uuid.UUID, tuple[int, float]]:
    result = await session.execute(
        select(LeadRow.owner_id, func.count(), func.coalesce(func.sum(LeadRow.value), 0.0))
        .where(LeadRow.status == OPEN, LeadRow.owner_id.is_not(None))
        .group_by(LeadRow.owner_id)
    )
    return {owner: (int(count), float(value)) for owner, count, value in result.all() if owner}


async def assigned_today(
    session: AsyncSession, people: Iterable[Row[Any]], *, now: datetime
) -> dict[uuid.UUID, int]:
    """New leads per salesperson since midnight in each one's own time zone."""
    by_zone: dict[str, list[uuid.UUID]] = {}
    for person in people:
        by_zone.setdefault(person.time_zone, []).append(person.id)
    counts: dict[uuid.UUID, int] = {}
    for zone, ids in by_zone.items():
        local = now.astimezone(ZoneInfo(zone))
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        result = await session.execute(
            select(AssignmentRow.salesperson_id, func.count())
            .where(
                AssignmentRow.assigned_at >= midnight,
                AssignmentRow.assigned_at > now - timedelta(hours=25),
                AssignmentRow.salesperson_id.in_(ids),
            )
            .group_by(AssignmentRow.salesperson_id)
        )
        counts.update({person: int(count) for person, count in result.all()})
    return counts


async def rotations(session: AsyncSession) -> dict[str, uuid.UUID]:
    result = await session.execute(
        select(PoolRotationRow.pool, PoolRotationRow.last_salesperson_id)
    )
    return {pool: person for pool, person in result.all()}


async def save_rotations(
    session: AsyncSession,
    *,
    before: dict[str, uuid.UUID],
    after: dict[str, uuid.UUID],
    now: datetime,
) -> None:
    """Store whose turn it is in each pool whose rotation moved (an upsert)."""
    moved = [
        {"pool": pool, "last_salesperson_id": person, "updated_at": now}
        for pool, person in after.items()
        if before.get(pool) != person
    ]
    if not moved:
        return
    dialect = session.get_bind().dialect.name
    upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = upsert(PoolRotationRow)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["pool"],
            set_={
                "last_salesperson_id": statement.excluded.last_salesperson_id,
                "updated_at": statement.excluded.updated_at,
            },
        ),
        moved,
    )


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


async def decision_of(session: AsyncSession, lead_id: uuid.UUID) -> DecisionRow | None:
    """The latest decision about a lead."""
    return await session.scalar(
        select(DecisionRow)
        .where(DecisionRow.lead_id == lead_id)
        .order_by(DecisionRow.decided_at.desc(), DecisionRow.id.desc())
        .limit(1)
    )


async def decisions_of_events(
    session: AsyncSession, event_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, DecisionRow]:
    if not event_ids:
        return {}
    result = await session.scalars(
        select(DecisionRow).where(DecisionRow.scored_event_id.in_(event_ids))
    )
    return {row.scored_event_id: row for row in result.all() if row.scored_event_id}


async def unassigned_leads(session: AsyncSession, *, limit: int) -> Sequence[LeadRow]:
    result = await session.scalars(
        select(LeadRow)
        .where(LeadRow.status == "unassigned")
        .order_by(LeadRow.received_at, LeadRow.id)
        .limit(limit)
        # Two routers re-checking at once each take other leads (PostgreSQL).
        .with_for_update(skip_locked=True)
    )
    return result.all()


async def count_unassigned(session: AsyncSession) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(LeadRow).where(LeadRow.status == "unassigned")
        )
        or 0
    )
