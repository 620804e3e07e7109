"""The state a batch is routed against: the configuration (people, pools,
territories, accounts, policies), kept between batches while its fingerprint
stays the same, and what moves with every assignment (related leads, load,
rotations), read fresh for every batch (docs/decisions/0303)."""

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import structlog
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.accounts.models import AccountRow
from leadrouter_router.leads.models import LeadRow
from leadrouter_router.policies import repository as policies
from leadrouter_router.policies.models import RoutingPolicyRow
from leadrouter_router.policies.policy import EVERYONE_POOL, Policy, PolicyDocument
from leadrouter_router.routing import repository
from leadrouter_router.routing.availability import unavailability
from leadrouter_router.routing.facts import (
    Account,
    AccountIndex,
    CarriedStatics,
    Interval,
    KnownLead,
    LeadFacts,
    Load,
    Person,
    RoutingContext,
    Territory,
)
from leadrouter_router.salespeople.models import SalespersonRow
from leadrouter_router.territories.models import TerritoryRow

log = structlog.get_logger(__name__)

WEEKDAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}


def parse_intervals(spans: Sequence[str]) -> tuple[Interval, ...]:
    intervals = []
    for span in spans:
        start, end = span.split("-", 1)
        intervals.append((time.fromisoformat(start.strip()), time.fromisoformat(end.strip())))
    return tuple(intervals)


def person_of(row: SalespersonRow | Row[Any]) -> Person:
    return Person(
        id=row.id,
        name=row.name,
        email=row.email,
        crm_user_id=row.crm_user_id,
        status=row.status,
        languages=frozenset(language.lower() for language in row.languages),
        skills=frozenset(row.skills),
        seniority=row.seniority,
        time_zone=row.time_zone,
        working_hours={
            WEEKDAYS[day]: parse_intervals(spans) for day, spans in row.working_hours.items()
        },
        holidays=frozenset(date.fromisoformat(day) for day in row.holidays),
        out_of_office=tuple(
            (datetime.fromisoformat(p["start"]), datetime.fromisoformat(p["end"]))
            for p in row.out_of_office
        ),
        max_new_per_day=row.max_new_per_day,
        max_open=row.max_open,
        weight=row.weight,
    )


def territory_of(row: TerritoryRow | Row[Any]) -> Territory:
    return Territory(
        name=row.name,
        countries=frozenset(row.countries),
        regions=frozenset(row.regions),
        postal_prefixes=tuple(row.postal_prefixes),
    )


def account_of(row: AccountRow | Row[Any]) -> Account:
    return Account(
        id=row.id,
        name=row.name,
        domains=frozenset(d.lower() for d in row.domains),
        owner_id=row.owner_id,
    )


def known_of(row: LeadRow | repository.KnownLeadRow) -> KnownLead:
    return KnownLead(
        id=row.id,
        lead_key=row.lead_key,
        received_at=row.received_at,
        status=row.status,
        owner_id=row.owner_id,
        email_key=row.email_key,
        phone_key=row.phone_key,
        company_domain=row.company_domain,
    )


def policy_of(row: RoutingPolicyRow) -> Policy:
    return Policy(
        name=row.name,
        version=row.version,
        document=PolicyDocument.model_validate(row.document),
        id=row.id,
    )


@dataclass(frozen=True, slots=True)
class Configuration:
    """What routing reads that changes only when someone edits it. Read-only: every
    batch that shares it builds its own context (load, known leads) around it."""

    people: dict[uuid.UUID, Person]
    """Everyone, in rotation order (created, then id)."""
    pools: dict[str, list[uuid.UUID]]
    territories: tuple[Territory, ...]
    accounts: tuple[Account, ...]
    account_index: AccountIndex
    policies: dict[str, Policy]
    fingerprint: tuple[str, ...] = ()
    carried: CarriedStatics = field(default_factory=lambda: CarriedStatics(same_availability))
    """What the engine worked out for the batch before (availability permitting)."""


def same_availability(
    person: Person, now: datetime, after_hours: bool, before: tuple[str, ...]
) -> bool:
    return unavailability(person, now, after_hours_ok=after_hours) == before


async def load_configuration(
    session: AsyncSession, *, fingerprint: tuple[str, ...] = ()
) -> Configuration:
    people_rows = await repository.salespeople(session)
    pools: dict[str, list[uuid.UUID]] = {}
    for pool, member in await repository.pool_members(session):
        pools.setdefault(pool, []).append(member)
    pools.setdefault(EVERYONE_POOL, [row.id for row in people_rows])
    accounts = tuple(account_of(row) for row in await repository.accounts(session))
    return Configuration(
        people={row.id: person_of(row) for row in people_rows},
        pools=pools,
        territories=tuple(territory_of(row) for row in await repository.territories(session)),
        accounts=accounts,
        account_index=AccountIndex(accounts),
        policies=await current_policies(session),
        fingerprint=fingerprint,
    )


class ConfigurationCache:
    """The configuration, read again only when its fingerprint moved.

    Every batch asks for the fingerprint first (one query: a digest of every row of
    the configuration tables), then reuses what it read before if nothing changed,
    whoever made the change: this router's API, another replica, a migration. The
    fingerprint is taken before the rows are read, so a change that lands between
    the two makes the next batch read again; it never hides a change.
    """

    def __init__(self) -> None:
        self._current: Configuration | None = None
        self.reads = 0
        """How many times the configuration was read (not served from the cache)."""

    async def get(self, session: AsyncSession) -> Configuration:
        fingerprint = await repository.configuration_fingerprint(session)
        current = self._current
        if current is not None and current.fingerprint == fingerprint:
            return current
        configuration = await load_configuration(session, fingerprint=fingerprint)
        self._current = configuration
        self.reads += 1
        log.info(
            "routing.configuration_read",
            salespeople=len(configuration.people),
            pools=len(configuration.pools),
            accounts=len(configuration.accounts),
            policies=len(configuration.policies),
            first=current is None,
        )
        return configuration


@dataclass(frozen=True, slots=True)
class BatchState:
    """What a batch reads besides the configuration, fresh every time."""

    context: RoutingContext
    seen_events: frozenset[uuid.UUID]
    """Those of the batch's events that were stored before (replays)."""
    unassigned: int
    """Leads waiting unassigned before this batch."""


async def load_context(
    session: AsyncSession,
    leads: Sequence[LeadFacts],
    *,
    now: datetime,
    configuration: Configuration | None = None,
) -> RoutingContext:
    """The context a batch is decided against (see :func:`read_batch_state`)."""
    return (await read_batch_state(session, leads, now=now, configuration=configuration)).context


async def read_batch_state(
    session: AsyncSession,
    leads: Sequence[LeadFacts],
    *,
    now: datetime,
    configuration: Configuration | None = None,
    scored_event_ids: Collection[uuid.UUID] = (),
) -> BatchState:
    """The context a batch is decided against: ``configuration`` (read now when not
    given) and the state that moves with every assignment, always read fresh, in two
    statements whatever the batch's size: the related leads (with the batch's events
    stored before), and the load (docs/decisions/0305)."""
    if configuration is None:
        configuration = await load_configuration(session)
    people = configuration.people
    keys = {
        "lead_keys": {lead.lead_key for lead in leads},
        "email_keys": {lead.email_key for lead in leads if lead.email_key},
        "phone_keys": {lead.phone_key for lead in leads if lead.phone_key},
        "domains": {lead.company_domain for lead in leads if lead.company_domain},
    }
    rows = await repository.related_leads(session, **keys, scored_event_ids=scored_event_ids)
    moving = await repository.moving_load(
        session, [(person.id, person.time_zone) for person in people.values()], now=now
    )
    load = Load(
        assigned_today={str(person): count for person, count in moving.assigned_today.items()},
        last_in_pool=moving.rotations,
    )
    for owner, (count, value) in moving.open_load.items():
        load.open_leads[str(owner)] = count
        load.open_value[str(owner)] = value
    context = RoutingContext(
        people=people,
        pools=configuration.pools,
        territories=configuration.territories,
        accounts=configuration.accounts,
        account_index=configuration.account_index,
        known_leads=[known_of(row) for row in rows if repository.is_related(row, **keys)],
        load=load,
        carried=configuration.carried,
    )
    wanted = set(scored_event_ids)
    seen = frozenset(row.scored_event_id for row in rows if row.scored_event_id in wanted)
    return BatchState(context, seen, moving.unassigned)


async def current_policies(session: AsyncSession) -> dict[str, Policy]:
    return {name: policy_of(row) for name, row in (await policies.latest_policies(session)).items()}
