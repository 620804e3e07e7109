"""The routing configuration kept between batches (docs/decisions/0303): a change made
anywhere (this router's API, another replica, straight in the database) is honoured by
the next batch, and the state that moves with every assignment (capacity counts,
rotations) stays exact across batches and across replicas. On SQLite and PostgreSQL;
the API tests against the real broker."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrouter_router.accounts.models import AccountRow
from leadrouter_router.policies.models import RoutingPolicyRow
from leadrouter_router.routing.service import Routed, route_scored_leads
from leadrouter_router.routing.snapshot import ConfigurationCache
from leadrouter_router.salespeople.models import SalespersonRow, TeamMemberRow, TeamRow
from leadrouter_router.settings import ApiKey, AuthSettings, Settings
from leadrouter_schemas import Company, LeadScored, encode, topics
from tests.router.conftest import running_router
from tests.support.kafka import produce
from tests.support.samples import scored
from tests.support.waiting import eventually

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
ADMIN_KEY = "cache-admin-key-0123456789"
ADMIN = {"X-API-Key": ADMIN_KEY}


def lead(email: str) -> LeadScored:
    """A lead of a company of its own, so that no circuit decides it."""
    event = scored(email, f"corr-{email}")
    changed = event.data.lead.model_copy(
        update={"lead_key": f"email:{email}", "company": Company(name=email.split("@")[0])}
    )
    return event.model_copy(update={"data": event.data.model_copy(update={"lead": changed})})


# --- The service, as two router replicas would run it (no Kafka) ---------------------


async def add_person(
    sessions: async_sessionmaker[AsyncSession], name: str, *, offset: int, **values: object
) -> uuid.UUID:
    async with sessions.begin() as session:
        at = NOW + timedelta(milliseconds=offset)
        row = SalespersonRow(
            id=uuid.uuid4(),
            name=name,
            email=f"{name}@example.com",
            created_at=at,
            updated_at=at,
            **values,
        )
        session.add(row)
    return row.id


async def route(
    sessions: async_sessionmaker[AsyncSession],
    cache: ConfigurationCache,
    email: str,
    *,
    minutes: int = 0,
) -> Routed:
    async with sessions.begin() as session:
        (routed,) = await route_scored_leads(
            session,
            [lead(email)],
            now=NOW + timedelta(minutes=minutes),
            assigned_topic="assigned",
            configurations=cache,
        )
    return routed


async def test_the_configuration_is_read_once_while_nothing_changes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add_person(sessions, "ana", offset=0)
    cache = ConfigurationCache()

    for n in range(3):
        await route(sessions, cache, f"lead{n}@company{n}.example", minutes=n)

    assert cache.reads == 1, "new leads, decisions and assignments are not configuration"


async def test_changes_made_by_another_process_are_seen_by_the_next_batch(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ana = await add_person(sessions, "ana", offset=0)
    ben = await add_person(sessions, "ben", offset=1)
    cache = ConfigurationCache()
    first = await route(sessions, cache, "l1@one.example")
    assert first.salesperson_id == ana

    # Another replica's API pauses Ben: his turn is skipped.
    async with sessions.begin() as session:
        await session.execute(
            update(SalespersonRow).where(SalespersonRow.id == ben).values(status="paused")
        )
    assert (await route(sessions, cache, "l2@two.example", minutes=1)).salesperson_id == ana

    # A new colleague, in a team that a new version of the policy sends every lead to.
    cal = await add_person(sessions, "cal", offset=2)
    async with sessions.begin() as session:
        team = TeamRow(id=uuid.uuid4(), name="vip", created_at=NOW)
        session.add(team)
        await session.flush()
        session.add(TeamMemberRow(team_id=team.id, salesperson_id=cal))
        session.add(
            RoutingPolicyRow(
                name="default",
                version=1,
                document={"rules": [{"name": "all to vip", "pool": "vip"}]},
                created_at=NOW,
            )
        )
    routed = await route(sessions, cache, "l3@three.example", minutes=2)
    assert routed.salesperson_id == cal

    # An account owned by Ana keeps its company's leads in her circuit.
    async with sessions.begin() as session:
        session.add(AccountRow(name="Four", domains=["four.example"], owner_id=ana, created_at=NOW))
    assert (await route(sessions, cache, "l4@four.example", minutes=3)).salesperson_id == ana

    # Cal leaves the team (a membership row deleted): nobody is left in the pool.
    async with sessions.begin() as session:
        await session.execute(delete(TeamMemberRow).where(TeamMemberRow.salesperson_id == cal))
    assert (await route(sessions, cache, "l5@five.example", minutes=4)).outcome == "unassigned"
    assert cache.reads == 5, "read again after each of the four changes, never in between"


async def test_capacity_and_rotation_stay_exact_across_replicas(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ana = await add_person(sessions, "ana", offset=0, max_new_per_day=1)
    ben = await add_person(sessions, "ben", offset=1)
    cal = await add_person(sessions, "cal", offset=2)
    replica_a, replica_b = ConfigurationCache(), ConfigurationCache()

    owners = [
        (await route(sessions, replica, f"l{n}@company{n}.example", minutes=n)).salesperson_id
        for n, replica in enumerate((replica_a, replica_b, replica_a, replica_b, replica_a))
    ]

    # B continues the rotation A left (and the other way round); Ana's daily capacity
    # of one counts the lead A gave her, whoever decides next.
    assert owners == [ana, ben, cal, ben, cal]
    assert (replica_a.reads, replica_b.reads) == (1, 1)


async def test_working_hours_that_end_between_two_batches_are_honoured(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # NOW is a Wednesday, 10:00 UTC: Ana works until 10:30, Ben has no schedule.
    ana = await add_person(sessions, "ana", offset=0, working_hours={"wed": ["09:00-10:30"]})
    ben = await add_person(sessions, "ben", offset=1)
    cache = ConfigurationCache()

    owners = [
        (await route(sessions, cache, f"l{n}@company{n}.example", minutes=m)).salesperson_id
        for n, m in enumerate((0, 10, 20, 40, 50))
    ]

    # In turn while Ana works; after 10:30 every lead is Ben's, although what the
    # engine worked out at 10:20 was kept for the batches after it.
    assert owners == [ana, ben, ana, ben, ben]
    assert cache.reads == 1


# --- The router itself: changes through its API, leads through the broker ------------


@pytest.fixture
def keyed_router_settings(router_settings: Settings) -> Settings:
    auth = AuthSettings(api_keys=[ApiKey(name="ops", key=SecretStr(ADMIN_KEY), scope="admin")])
    return router_settings.model_copy(update={"auth": auth})


@pytest.fixture
async def keyed_router(keyed_router_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The router with an admin key; its client sends the key with every request."""
    async with running_router(keyed_router_settings) as client:
        client.headers.update(ADMIN)
        yield client


async def owners_of(router: httpx.AsyncClient, emails: set[str]) -> dict[str, str]:
    """Each lead's salesperson by e-mail, once every one of them is assigned."""

    async def assigned() -> dict[str, str] | None:
        items: list[dict[str, Any]] = (await router.get("/v1/leads")).json()["items"]
        found = {i["email"]: i["owner_id"] for i in items if i["email"] in emails}
        return found if len(found) == len(emails) and all(found.values()) else None

    return await eventually(assigned, what=f"{len(emails)} leads assigned")


async def configuration_cached(router: httpx.AsyncClient, kafka: str, prefix: str) -> str:
    """Route a first lead, so that the router holds its configuration in its cache; the
    topic of scored leads."""
    topic = prefix + topics.LEADS_SCORED
    await produce(kafka, topic, [encode(lead("first@one.example"))])
    await owners_of(router, {"first@one.example"})
    return topic


async def test_a_salesperson_paused_through_the_api_gets_no_lead_of_the_next_batch(
    keyed_router: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    topic = await configuration_cached(keyed_router, kafka, topic_prefix)
    people = (await keyed_router.get("/v1/salespeople")).json()["items"]
    assert len(people) == 3
    staying, *paused = people
    for person in paused:
        answer = await keyed_router.patch(
            f"/v1/salespeople/{person['id']}", json={"status": "paused"}
        )
        assert answer.status_code == 200, answer.text

    emails = {f"after{n}@company{n}.example" for n in range(4)}
    await produce(kafka, topic, [encode(lead(email)) for email in sorted(emails)])

    assert set((await owners_of(keyed_router, emails)).values()) == {staying["id"]}


async def test_a_policy_changed_through_the_api_decides_the_next_batch(
    keyed_router: httpx.AsyncClient, kafka: str, topic_prefix: str
) -> None:
    topic = await configuration_cached(keyed_router, kafka, topic_prefix)
    chosen = (await keyed_router.get("/v1/salespeople")).json()["items"][2]
    created = await keyed_router.post("/v1/teams", json={"name": "vip"})
    assert created.status_code == 201, created.text
    moved = await keyed_router.patch(f"/v1/salespeople/{chosen['id']}", json={"teams": ["vip"]})
    assert moved.status_code == 200, moved.text
    policy = {"rules": [{"name": "everything to vip", "pool": "vip"}]}
    stored = await keyed_router.put("/v1/policies/default", json=policy)
    assert stored.status_code == 200, stored.text

    emails = {f"vip{n}@company{n}.example" for n in range(3)}
    await produce(kafka, topic, [encode(lead(email)) for email in sorted(emails)])

    owners = await owners_of(keyed_router, emails)
    assert set(owners.values()) == {chosen["id"]}
    items = (await keyed_router.get("/v1/leads")).json()["items"]
    some = next(i for i in items if i["email"] in emails)
    decision = (await keyed_router.get(f"/v1/leads/{some['id']}/decision")).json()
    assert decision["record"]["policy"] == {"name": "default", "version": stored.json()["version"]}
    assert decision["record"]["pool"] == "vip"
