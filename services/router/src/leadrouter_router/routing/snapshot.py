"""The state a batch is routed against, read once per batch: people, pools,
territories, accounts, related leads, load, rotations and policies."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from leadrouter_router.accounts.models import AccountRow
from leadrouter_router.leads.models import LeadRow
from leadrouter_router.routing import repository
from leadrouter_router.routing.facts import (
    Account,
    Interval,
    KnownLead,
    LeadFacts,
    Load,
    Person,
    RoutingContext,
    Territory,
)
from leadrouter_router.routing.models import RoutingPolicyRow
from leadrouter_router.routing.policy import DEFAULT_POLICY_NAME, Policy, PolicyDocument, Rule
from leadrouter_router.salespeople.models import SalespersonRow
from leadrouter_router.territories.models import TerritoryRow

EVERYONE_POOL = "everyone"
"""Every salesperson, in rotation order, unless a team of that name exists."""

BUILT_IN_POLICY = Policy(
    name="built-in",
    version=1,
    document=PolicyDocument(rules=(Rule(name="everyone", pool=EVERYONE_POOL),)),
)
"""Used until a ``default`` policy is stored: round robin over everyone."""

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


def known_of(row: LeadRow) -> KnownLead:
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
        name=row.name, version=row.version, document=PolicyDocument.model_validate(row.document)
    )


async def load_context(
    session: AsyncSession, leads: Sequence[LeadFacts], *, now: datetime
) -> RoutingContext:
    people_rows = await repository.salespeople(session)
    pools: dict[str, list[uuid.UUID]] = {}
    for pool, member in await repository.pool_members(session):
        pools.setdefault(pool, []).append(member)
    pools.setdefault(EVERYONE_POOL, [row.id for row in people_rows])
    related = await repository.related_leads(
        session,
        lead_keys={lead.lead_key for lead in leads},
        email_keys={lead.email_key for lead in leads if lead.email_key},
        phone_keys={lead.phone_key for lead in leads if lead.phone_key},
        domains={lead.company_domain for lead in leads if lead.company_domain},
    )
    today = await repository.assigned_today(session, people_rows, now=now)
    load = Load(
        assigned_today={str(person): count for person, count in today.items()},
        last_in_pool=await repository.rotations(session),
    )
    for owner, (count, value) in (await repository.open_load(session)).items():
        load.open_leads[str(owner)] = count
        load.open_value[str(owner)] = value
    return RoutingContext(
        people={row.id: person_of(row) for row in people_rows},
        pools=pools,
        territories=[territory_of(row) for row in await repository.territories(session)],
        accounts=[account_of(row) for row in await repository.accounts(session)],
        known_leads=[known_of(row) for row in related],
        load=load,
    )


async def current_policies(session: AsyncSession) -> dict[str, Policy]:
    return {
        name: policy_of(row) for name, row in (await repository.latest_policies(session)).items()
    }


def policy_for(policies: dict[str, Policy], policy_name: str | None) -> Policy:
    """The campaign's policy, else ``default``, else the built-in round robin over everyone."""
    if policy_name is not None and policy_name in policies:
        return policies[policy_name]
    return policies.get(DEFAULT_POLICY_NAME, BUILT_IN_POLICY)
