"""All SQL that routing reads and writes: the snapshot a batch is routed against,
policies by version, pool rotations and decision records."""

import hashlib
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    ColumnElement,
    Dialect,
    Row,
    ScalarSelect,
    Table,
    TableClause,
    Text,
    TypeDecorator,
    cast,
    func,
    insert,
    literal_column,
    or_,
    select,
    table,
    union_all,
)
from sqlalchemy import column as table_column
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.accounts.models import AccountRow
from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.platform.outbox import OutboxRow
from leadrouter_router.policies.models import RoutingPolicyRow
from leadrouter_router.routing.models import DecisionRow, PoolRotationRow
from leadrouter_router.salespeople.models import SalespersonRow, TeamMemberRow, TeamRow
from leadrouter_router.territories.models import TerritoryRow

OPEN = "assigned"


# The snapshot reads plain rows (no ORM identity map): building ORM objects for
# every salesperson and account costs more than the decisions they serve.

CONFIGURATION_TABLES: tuple[Table, ...] = tuple(
    row.__table__  # type: ignore[misc]
    for row in (SalespersonRow, TeamRow, TeamMemberRow, TerritoryRow, AccountRow, RoutingPolicyRow)
)
"""Every table the cached routing configuration is read from (docs/decisions/0303):
a table that :func:`salespeople`, :func:`pool_members`, :func:`territories`,
:func:`accounts` or :func:`latest_policies` starts reading belongs here too."""


def _table_digest(table: Table, dialect: str) -> ScalarSelect[Any]:
    """Every column of every row as one JSON array per row, in primary-key order:
    any insert, update or delete changes it. PostgreSQL hashes it server-side (one
    short value over the network); SQLite is in-process, so the text is hashed here."""
    order = list(table.primary_key.columns)
    if dialect == "postgresql":
        row = cast(func.json_build_array(*table.c), Text)
        return select(
            func.md5(func.string_agg(row, aggregate_order_by(literal_column("'|'"), *order)))
        ).scalar_subquery()
    rows = select(func.json_array(*table.c).label("row")).order_by(*order).subquery()
    return select(func.group_concat(rows.c.row, "|")).scalar_subquery()


async def configuration_fingerprint(session: AsyncSession) -> tuple[str, ...]:
    """A digest of the routing configuration (people, teams, members, territories,
    accounts, policies) in one round trip. Any change moves it, whoever made it (this
    process's API, another replica, a migration, an SQL console)."""
    dialect = session.get_bind().dialect.name
    result = await session.execute(
        select(*(_table_digest(table, dialect) for table in CONFIGURATION_TABLES))
    )
    digests = result.one()
    if dialect == "postgresql":
        return tuple(digest or "" for digest in digests)
    return tuple(
        hashlib.blake2b((text or "").encode(), digest_size=16).hexdigest() for text in digests
    )


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


async def territories(session: AsyncSession) -> Sequence[Row[Any]]:
    table = TerritoryRow.__table__
    return (await session.execute(select(table).order_by(table.c.name))).all()


async def accounts(session: AsyncSession) -> Sequence[Row[Any]]:
    table = AccountRow.__table__
    return (await session.execute(select(table).order_by(table.c.name, table.c.id))).all()


KnownLeadRow = Row[
    uuid.UUID, str, datetime, str, uuid.UUID | None, str | None, str | None, str | None
]


async def related_leads(
    session: AsyncSession,
    *,
    lead_keys: Collection[str],
    email_keys: Collection[str],
    phone_keys: Collection[str],
    domains: Collection[str],
) -> Sequence[KnownLeadRow]:
    """Leads that may be the same person, or open leads of the same company (the
    columns dedupe and the circuit look at, not the stored event)."""
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
    query = select(
        LeadRow.id,
        LeadRow.lead_key,
        LeadRow.received_at,
        LeadRow.status,
        LeadRow.owner_id,
        LeadRow.email_key,
        LeadRow.phone_key,
        LeadRow.company_domain,
    ).where(or_(*clauses), LeadRow.status.in_(("assigned", "unassigned")))
    return (await session.execute(query)).all()


async def open_load(session: AsyncSession) -> dict[uuid.UUID, tuple[int, float]]:
    result = await session.execute(
        select(LeadRow.owner_id, func.count(), func.coalesce(func.sum(LeadRow.value), 0.0))
        .where(LeadRow.status == OPEN, LeadRow.owner_id.is_not(None))
        .group_by(LeadRow.owner_id)
    )
    return {owner: (int(count), float(value)) for owner, count, value in result.all() if owner}


async def assigned_today(
    session: AsyncSession, people: Iterable[tuple[uuid.UUID, str]], *, now: datetime
) -> dict[uuid.UUID, int]:
    """New leads per salesperson since midnight in each one's own time zone, given
    (id, time zone) pairs: one query per zone, sent as one statement."""
    by_zone: dict[str, list[uuid.UUID]] = {}
    for person, zone in people:
        by_zone.setdefault(zone, []).append(person)
    if not by_zone:
        return {}
    counts = []
    for zone, ids in by_zone.items():
        local = now.astimezone(ZoneInfo(zone))
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        counts.append(
            select(AssignmentRow.salesperson_id, func.count().label("count"))
            .where(
                AssignmentRow.assigned_at >= midnight,
                AssignmentRow.assigned_at > now - timedelta(hours=25),
                AssignmentRow.salesperson_id.in_(ids),
            )
            .group_by(AssignmentRow.salesperson_id)
        )
    result = await session.execute(union_all(*counts) if len(counts) > 1 else counts[0])
    return {person: int(count) for person, count in result.all()}


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


class EncodedJSON(TypeDecorator[str]):
    """A JSON column bound from text the caller already encoded (once, with
    pydantic-core's encoder), instead of ``json.dumps`` of a dict per row. Reading
    the column back gives the same value as before."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        # asyncpg's json codec takes text (SQLAlchemy registers ``str.encode``), and
        # SQLite stores JSON as text: the encoded value goes through as it is.
        return None


@cache
def _encoded(model: type[Any]) -> TableClause:
    """``model``'s table for a Core insert, its JSON columns taking encoded text."""
    source = model.__table__
    return table(
        source.name,
        *(
            table_column(c.name, EncodedJSON() if isinstance(c.type, JSON) else c.type)
            for c in source.columns
        ),
    )


async def insert_batch(
    session: AsyncSession,
    *,
    leads: Sequence[Mapping[str, Any]],
    decisions: Sequence[Mapping[str, Any]],
    assignments: Sequence[Mapping[str, Any]],
    messages: Sequence[Mapping[str, Any]],
) -> None:
    """A batch's new rows, one multi-row insert per table (Core, not the ORM's
    per-row bookkeeping), leads first: the others refer to them. JSON columns of
    leads and decisions arrive encoded; outbox rows are ``outbox.pending_message``'s,
    written in this same transaction (docs/decisions/0003)."""
    for model, rows in ((LeadRow, leads), (DecisionRow, decisions), (AssignmentRow, assignments)):
        if rows:
            await session.execute(_encoded(model).insert(), rows)
    if messages:
        outbox: Table = OutboxRow.__table__  # type: ignore[assignment]
        await session.execute(insert(outbox), messages)
