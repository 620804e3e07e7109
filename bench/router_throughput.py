"""Leads per second through the router's consumer path, on SQLite and on PostgreSQL.

    uv run python -m bench.router_throughput [--leads 10000] [--batch 500]
        [--postgres postgresql://postgres@127.0.0.1:55432/postgres] [--only sqlite]

Each backend runs in a subprocess of its own (so its peak RSS is its own) against a
fresh database migrated to head and seeded with the engine benchmark's world (500
salespeople, 20 teams, 2,000 accounts, a 50-rule default policy). The N encoded
``LeadScored`` records go, as ``ConsumerRecord`` batches, through the consumer's own
batch handler (``RouteScoredLeads``: decode, then one transaction per batch that
stores the leads, decides, records the decisions, the assignments and their two
outbox messages each), with its configuration cache kept between batches as in
the service. Kafka itself is not in the loop: its cost is the scorer benchmark's
subject.

Baseline in the same run and process: the same batches decoded and stored as lead
rows only, one transaction per batch (the database's floor for this write).
Aim: more than 1,000 leads/s on PostgreSQL.
"""

import argparse
import asyncio
import random
import resource
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta

import asyncpg
from aiokafka import ConsumerRecord
from sqlalchemy import func, select

from bench.router_engine import NOW, PRODUCTS, World, build_world
from leadrouter_router.accounts.models import AccountRow
from leadrouter_router.leads.models import LeadRow
from leadrouter_router.platform.db import create_engine, migrate, session_factory
from leadrouter_router.policies.models import RoutingPolicyRow
from leadrouter_router.routing.handlers import RouteScoredLeads
from leadrouter_router.salespeople.models import SalespersonRow, TeamMemberRow, TeamRow
from leadrouter_runtime.logging import configure_logging
from leadrouter_runtime.settings import LogSettings
from leadrouter_schemas import Company, Contact, LeadScored, LeadScoredData, decode_as, encode
from tests.support.samples import lead as sample_lead
from tests.support.samples import score as sample_score


async def seed(url: str, world: World) -> None:
    engine = create_engine(url)
    await migrate(engine)
    sessions = session_factory(engine)
    async with sessions.begin() as session:
        people = [
            SalespersonRow(id=uuid.uuid4(), created_at=NOW + timedelta(microseconds=n),
                           updated_at=NOW, **p)
            for n, p in enumerate(world.people)
        ]  # fmt: skip
        teams = {name: TeamRow(id=uuid.uuid4(), name=name, created_at=NOW) for name in world.teams}
        session.add_all([*people, *teams.values()])
        await session.flush()
        session.add_all(
            TeamMemberRow(team_id=teams[name].id, salesperson_id=people[n].id)
            for name, members in world.teams.items()
            for n in members
        )
        session.add_all(
            AccountRow(name=a["name"], domains=a["domains"], owner_id=people[a["owner"]].id,
                       created_at=NOW)
            for a in world.accounts
        )  # fmt: skip
        session.add(
            RoutingPolicyRow(name="default", version=1, document=world.policy, created_at=NOW)
        )
    await engine.dispose()


def records(count: int, rng: random.Random) -> list[bytes]:
    countries = ["ES", "DE", "GB", "FR", "US", "JP", "PT", "MX", "AT", "IE", "CA", "BR"]
    out = []
    base_lead, base_score = sample_lead(), sample_score()
    for n in range(count):
        account = rng.random() < 0.1
        domain = f"account{rng.randrange(2000)}.example" if account else f"company{n}.example"
        value = rng.randint(0, 100)
        grade = "A" if value >= 75 else "B" if value >= 50 else "C" if value >= 25 else "D"
        lead = base_lead.model_copy(
            update={
                "lead_key": f"email:lead{n}@{domain}",
                "contact": Contact(email=f"lead{n}@{domain}", country=rng.choice(countries)),
                "company": Company(name=f"Company {n}", employees=rng.choice([5, 250, 5000])),
                "answers": {"product": rng.choice(PRODUCTS)},
            }
        )
        event = LeadScored(
            occurred_at=NOW,
            source="bench",
            correlation_id=f"bench-{n}",
            data=LeadScoredData(
                lead=lead, score=base_score.model_copy(update={"value": value, "grade": grade})
            ),
        )
        out.append(encode(event))
    return out


async def store_only(url: str, batches: list[list[bytes]]) -> float:
    """Baseline: decode and insert the lead rows, one transaction per batch."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    started = time.perf_counter()
    for batch in batches:
        events = [decode_as(value, LeadScored) for value in batch]
        async with sessions.begin() as session:
            session.add_all(
                LeadRow(
                    scored_event_id=uuid.uuid4(),
                    lead_key=e.data.lead.lead_key,
                    correlation_id=e.correlation_id,
                    campaign_id=e.data.lead.campaign_id,
                    email=e.data.lead.contact.email,
                    score=e.data.score.value,
                    grade=e.data.score.grade,
                    status="closed",
                    scored=e.data.model_dump(mode="json"),
                    received_at=NOW,
                )
                for e in events
            )
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed


def consumer_records(batch: list[bytes], first_offset: int) -> list[ConsumerRecord[bytes, bytes]]:
    return [
        ConsumerRecord("leads.scored", 0, first_offset + n, 0, 0, None, value, None, 0,
                       len(value), [])
        for n, value in enumerate(batch)
    ]  # fmt: skip


async def route_all(url: str, batches: list[list[bytes]]) -> tuple[float, dict[str, int]]:
    engine = create_engine(url)
    sessions = session_factory(engine)
    batch_number = 0

    def clock() -> datetime:
        return NOW + timedelta(seconds=batch_number)

    handler = RouteScoredLeads(
        sessions=sessions, assigned_topic="leads.assigned", clock=clock, on_committed=lambda: None
    )
    offset = 0
    started = time.perf_counter()
    for batch_number, batch in enumerate(batches):  # noqa: B007 (the clock reads it)
        letters = await handler(consumer_records(batch, offset))
        assert not letters, letters
        offset += len(batch)
    elapsed = time.perf_counter() - started
    async with sessions() as session:
        # The baseline's rows are "closed"; routing never closes a lead.
        result = await session.execute(
            select(LeadRow.status, func.count())
            .where(LeadRow.status != "closed")
            .group_by(LeadRow.status)
        )
        outcomes = {status: int(count) for status, count in result.all()}
    await engine.dispose()
    return elapsed, outcomes


async def worker(url: str, leads: int, batch: int) -> None:
    # One log line per lead would measure the terminal, not the router.
    configure_logging(LogSettings(level="WARNING"))
    rng = random.Random(7)
    world = build_world(rng)
    await seed(url, world)
    values = records(leads, rng)
    batches = [values[i : i + batch] for i in range(0, len(values), batch)]
    baseline = await store_only(url, batches)
    elapsed, outcomes = await route_all(url, batches)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    backend = url.split(":", 1)[0]
    print(f"{backend:22} baseline (store only): {leads / baseline:8,.0f} leads/s")
    print(f"{backend:22} router (route batches): {leads / elapsed:8,.0f} leads/s "
          f"({leads / elapsed / (leads / baseline):.0%} of the baseline), "
          f"peak RSS {peak:.0f} MiB, outcomes {dict(sorted(outcomes.items()))}")  # fmt: skip


async def fresh_postgres(admin_url: str) -> tuple[str, str]:
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name, admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + (
        f"/{name}"
    )


async def drop_postgres(admin_url: str, name: str) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def run_worker(url: str, args: argparse.Namespace) -> None:
    subprocess.run(
        [sys.executable, "-m", "bench.router_throughput", "--worker", url,
         "--leads", str(args.leads), "--batch", str(args.batch)],
        check=True,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:55432/postgres")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(worker(args.worker, args.leads, args.batch))
        return
    print(f"{args.leads} LeadScored records in batches of {args.batch}")
    if args.only in (None, "sqlite"):
        path = f"var/bench-router-{uuid.uuid4().hex[:8]}.db"
        try:
            run_worker(f"sqlite+aiosqlite:///{path}", args)
        finally:
            for suffix in ("", "-wal", "-shm"):
                subprocess.run(["rm", "-f", path + suffix], check=False)
    if args.only in (None, "postgresql"):
        name, url = asyncio.run(fresh_postgres(args.postgres))
        try:
            run_worker(url, args)
        finally:
            asyncio.run(drop_postgres(args.postgres, name))


if __name__ == "__main__":
    main()
