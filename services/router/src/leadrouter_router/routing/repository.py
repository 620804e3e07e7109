"""All SQL that routing reads and writes: the snapshot a batch is routed against,
policies by version, pool rotations and decision records."""

import hashlib
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    Dialect,
    Float,
    Row,
    ScalarSelect,
    Select,
    String,
    Table,
    TableClause,
    Text,
    TypeDecorator,
    and_,
    cast,
    func,
    insert,
    literal,
    literal_column,
    null,
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
from sqlalchemy.orm import InstrumentedAttribute

from leadrouter_router.accounts.models import AccountRow
from leadrouter_router.leads.models import AssignmentRow, LeadRow
from leadrouter_router.platform.outbox import OutboxRow
from leadrouter_router.policies.models import RoutingPolicyRow
from leadrouter_router.routing.models import DecisionRow, PoolRotationRow
from leadrouter_router.salespeople.models import SalespersonRow, TeamMemberRow, TeamRow
from leadrouter_router.territories.models import TerritoryRow

OPEN = "assigned"
MERGEABLE = ("assigned", "unassigned")
"""The statuses a lead can be found in as the same person's (dedupe) or company's."""


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
    uuid.UUID,
    str,
    datetime,
    str,
    uuid.UUID | None,
    str | None,
    str | None,
    str | None,
    uuid.UUID | None,
]


async def related_leads(
    session: AsyncSession,
    *,
    lead_keys: Collection[str],
    email_keys: Collection[str],
    phone_keys: Collection[str],
    domains: Collection[str],
    scored_event_ids: Collection[uuid.UUID] = (),
) -> Sequence[KnownLeadRow]:
    """Leads that may be the same person, or open leads of the same company (the
    columns dedupe and the circuit look at, not the stored event); and, in the same
    statement, the leads stored from any of ``scored_event_ids`` (a batch's events
    seen before). The caller tells them apart (:func:`is_related`)."""
    clauses: list[ColumnElement[bool]] = []
    if lead_keys:
        clauses.append(LeadRow.lead_key.in_(lead_keys))
    if email_keys:
        clauses.append(LeadRow.email_key.in_(email_keys))
    if phone_keys:
        clauses.append(LeadRow.phone_key.in_(phone_keys))
    if domains:
        clauses.append(LeadRow.company_domain.in_(domains) & (LeadRow.status == OPEN))
    related = and_(or_(*clauses), LeadRow.status.in_(MERGEABLE)) if clauses else None
    seen = LeadRow.scored_event_id.in_(scored_event_ids) if scored_event_ids else None
    if related is None and seen is None:
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
        LeadRow.scored_event_id,
    ).where(or_(*(clause for clause in (related, seen) if clause is not None)))
    return (await session.execute(query)).all()


def is_related(
    row: KnownLeadRow,
    *,
    lead_keys: Collection[str],
    email_keys: Collection[str],
    phone_keys: Collection[str],
    domains: Collection[str],
) -> bool:
    """Whether a row of :func:`related_leads` is related (not only a seen event's)."""
    return row.status in MERGEABLE and (
        row.lead_key in lead_keys
        or row.email_key in email_keys
        or row.phone_key in phone_keys
        or (row.company_domain in domains and row.status == OPEN)
    )


@dataclass(slots=True)
class MovingLoad:
    """What moves with every assignment, read in one statement."""

    assigned_today: dict[uuid.UUID, int] = field(default_factory=dict)
    """New leads per salesperson since midnight in each one's own time zone."""
    open_load: dict[uuid.UUID, tuple[int, float]] = field(default_factory=dict)
    """Open leads (count, value) per owner."""
    rotations: dict[str, uuid.UUID] = field(default_factory=dict)
    """The last salesperson each pool's rotation gave a lead."""
    unassigned: int = 0
    """Leads waiting unassigned."""


def _tagged(kind: str, *columns: ColumnElement[Any]) -> Select[Any]:
    """One part of :func:`moving_load`'s union: (kind, key, ref, n, value)."""
    return select(literal(kind, String()).label("kind"), *columns)


def _text(column: ColumnElement[Any] | InstrumentedAttribute[Any] | None) -> ColumnElement[Any]:
    return cast(column if column is not None else null(), String())


async def moving_load(
    session: AsyncSession, people: Iterable[tuple[uuid.UUID, str]], *, now: datetime
) -> MovingLoad:
    """The load of everyone, the rotations and the unassigned backlog as one
    statement (a UNION ALL of parts tagged by kind): one round trip on every batch.
    ``people``: (id, time zone) pairs, for each one's count of new leads today."""
    no_value = literal(0.0, Float())
    parts = [
        _tagged(
            "open",
            _text(LeadRow.owner_id).label("key"),
            _text(None).label("ref"),
            func.count().label("n"),
            func.coalesce(func.sum(LeadRow.value), 0.0).label("value"),
        )
        .where(LeadRow.status == OPEN, LeadRow.owner_id.is_not(None))
        .group_by(LeadRow.owner_id),
        _tagged(
            "rotation",
            _text(PoolRotationRow.pool),
            _text(PoolRotationRow.last_salesperson_id),
            literal(0, BigInteger()),
            no_value,
        ),
        _tagged("unassigned", _text(None), _text(None), func.count(), no_value).where(
            LeadRow.status == "unassigned"
        ),
    ]
    by_zone: dict[str, list[uuid.UUID]] = {}
    for person, zone in people:
        by_zone.setdefault(zone, []).append(person)
    for zone, ids in by_zone.items():
        local = now.astimezone(ZoneInfo(zone))
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        parts.append(
            _tagged(
                "today",
                _text(AssignmentRow.salesperson_id),
                _text(None),
                func.count(),
                no_value,
            )
            .where(
                AssignmentRow.assigned_at >= midnight,
                AssignmentRow.assigned_at > now - timedelta(hours=25),
                AssignmentRow.salesperson_id.in_(ids),
            )
            .group_by(AssignmentRow.salesperson_id)
        )
    load = MovingLoad()
    for kind, key, ref, n, value in (await session.execute(union_all(*parts))).all():
        if kind == "open":
            load.open_load[uuid.UUID(key)] = (int(n), float(value))
        elif kind == "today":
            load.assigned_today[uuid.UUID(key)] = int(n)
        elif kind == "rotation":
            load.rotations[key] = uuid.UUID(ref)
        else:
            load.unassigned = int(n)
    return load


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


async def salespeople_names(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    query = select(SalespersonRow.id, SalespersonRow.name).where(SalespersonRow.id.in_(ids))
    return {person: name for person, name in (await session.execute(query)).all()} if ids else {}


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
    """A batch's new rows, one statement per table whatever the batch's size (Core,
    not the ORM's per-row bookkeeping), leads first: the others refer to them. Each is
    an executemany, which asyncpg sends as one pipelined exchange; a multi-row VALUES
    statement was measured slower (docs/decisions/0305). JSON columns of leads and
    decisions arrive encoded; outbox rows are ``outbox.pending_message``'s, written in
    this same transaction (docs/decisions/0003)."""
    for model, rows in ((LeadRow, leads), (DecisionRow, decisions), (AssignmentRow, assignments)):
        if rows:
            await session.execute(_encoded(model).insert(), rows)
    if messages:
        outbox: Table = OutboxRow.__table__  # type: ignore[assignment]
        await session.execute(insert(outbox), messages)
