"""Routing decisions per second of the pure engine, against the trivial round robin.

    uv run python -m bench.router_engine [--leads 20000] [--seed 7]

The world: 500 salespeople in six time zones with weekday hours, some paused, gone,
on holiday or out of office, with languages, product skills, seniority, capacities
and weights; 20 teams; 2,000 owned accounts; a policy of 50 rules (49 with
conditions on country, grade, score, product and company size, then a catch-all)
and a fallback pool. Leads come from 12 countries; one in ten is a company that
is an account already; every 5,000 leads a new day starts (daily capacities
reset), so the pools do not simply run dry. The baseline is ``round_robin`` over the same 500 people
in the same run (no rules, no eligibility). Aim: more than 5,000 decisions/s.
"""

import argparse
import random
import resource
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any

from leadrouter_router.policies.policy import Policy, PolicyDocument
from leadrouter_router.routing.engine import Candidate, Decision, decide, round_robin
from leadrouter_router.routing.facts import Account, LeadFacts, Person, RoutingContext

NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # a Wednesday: Europe and New York at work
ZONES = (
    "Europe/Madrid",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
)
LANGUAGES = ("en", "es", "de", "fr", "ja", "pt")
PRODUCTS = ("crm", "erp", "analytics", "payments")
COUNTRIES = {
    "ES": "es", "DE": "de", "GB": "en", "FR": "fr", "US": "en", "JP": "ja",
    "PT": "pt", "MX": "es", "AT": "de", "IE": "en", "CA": "en", "BR": "pt",
}  # fmt: skip
TEAMS = 20
DAY = 5_000
"""Leads per simulated day: about what 500 people's daily capacities (10-40 each) take."""


@dataclass
class World:
    people: list[dict[str, Any]]
    teams: dict[str, list[int]]
    accounts: list[dict[str, Any]]
    policy: dict[str, Any]


def build_world(rng: random.Random, *, people: int = 500, rules: int = 50) -> World:
    persons = []
    for n in range(people):
        zone = ZONES[n % len(ZONES)]
        roll = rng.random()
        status = "left" if roll < 0.02 else "paused" if roll < 0.07 else "active"
        split = rng.random() < 0.3
        spans = ["09:00-13:00", "14:00-18:00"] if split else ["09:00-17:00"]
        persons.append(
            {
                "name": f"Salesperson {n}",
                "email": f"sp{n}@bench.example",
                "status": status,
                "languages": sorted({"en", *rng.sample(LANGUAGES, rng.randint(1, 2))}),
                "skills": sorted(rng.sample(PRODUCTS, rng.randint(1, 3))),
                "seniority": rng.randint(1, 4),
                "time_zone": zone,
                "working_hours": {d: spans for d in ("mon", "tue", "wed", "thu", "fri")},
                "holidays": [NOW.date().isoformat()] if rng.random() < 0.03 else [],
                "out_of_office": (
                    [{"start": (NOW - timedelta(days=2)).isoformat(),
                      "end": (NOW + timedelta(days=3)).isoformat()}]
                    if rng.random() < 0.05
                    else []
                ),
                "max_new_per_day": rng.randint(10, 40),
                "max_open": rng.randint(30, 120),
                "weight": float(rng.randint(1, 3)),
            }
        )  # fmt: skip
    teams: dict[str, list[int]] = {f"team-{t}": [] for t in range(TEAMS)}
    for n in range(people):
        for t in {n % TEAMS, rng.randrange(TEAMS)}:
            teams[f"team-{t}"].append(n)
    accounts = [
        {
            "name": f"Account {a} Holding",
            "domains": [f"account{a}.example"],
            "owner": rng.randrange(people),
        }
        for a in range(2000)
    ]
    strategies = ("round_robin", "weighted", "least_open_leads", "least_open_value")
    countries = list(COUNTRIES)
    rule_list: list[dict[str, Any]] = []
    for r in range(rules - 1):
        when: list[dict[str, Any]] = [
            {"field": "country", "op": "in", "value": rng.sample(countries, 2)},
            {"field": "grade", "op": "in", "value": rng.sample(["A", "B", "C", "D"], 2)},
        ]
        if r % 3 == 0:
            when.append({"field": "score", "op": "gte", "value": rng.randint(20, 70)})
        if r % 4 == 0:
            when.append({"field": "product", "op": "eq", "value": rng.choice(PRODUCTS)})
        if r % 5 == 0:
            when.append({"field": "employees", "op": "gte", "value": rng.choice([50, 200, 1000])})
        rule_list.append(
            {"name": f"rule {r}", "when": when, "pool": f"team-{r % TEAMS}",
             "strategy": strategies[r % len(strategies)]}
        )  # fmt: skip
    rule_list.append({"name": "everyone else", "pool": "team-0", "strategy": "round_robin"})
    policy = {
        "rules": rule_list,
        "fallback": {"pool": "team-1"},
        "seniority_by_grade": {"A": 2},
    }
    return World(persons, teams, accounts, policy)


def person_ids(world: World) -> list[uuid.UUID]:
    return [uuid.UUID(int=n + 1) for n in range(len(world.people))]


def context_of(world: World) -> RoutingContext:
    ids = person_ids(world)
    people = {}
    for n, p in enumerate(world.people):
        spans: list[tuple[clock, clock]] = []
        for span in p["working_hours"]["mon"]:
            start, end = span.split("-")
            spans.append((clock.fromisoformat(start), clock.fromisoformat(end)))
        people[ids[n]] = Person(
            id=ids[n],
            name=p["name"],
            email=p["email"],
            status=p["status"],
            languages=frozenset(p["languages"]),
            skills=frozenset(p["skills"]),
            seniority=p["seniority"],
            time_zone=p["time_zone"],
            working_hours={d: tuple(spans) for d in range(1, 6)},
            holidays=frozenset(date.fromisoformat(d) for d in p["holidays"]),
            out_of_office=tuple(
                (datetime.fromisoformat(o["start"]), datetime.fromisoformat(o["end"]))
                for o in p["out_of_office"]
            ),
            max_new_per_day=p["max_new_per_day"],
            max_open=p["max_open"],
            weight=p["weight"],
        )  # fmt: skip
    return RoutingContext(
        people=people,
        pools={name: [ids[n] for n in members] for name, members in world.teams.items()},
        accounts=[
            Account(
                uuid.UUID(int=10_000 + a), acc["name"], frozenset(acc["domains"]), ids[acc["owner"]]
            )
            for a, acc in enumerate(world.accounts)
        ],
    )


def lead_facts(rng: random.Random, n: int) -> LeadFacts:
    country = rng.choice(list(COUNTRIES))
    score = rng.randint(0, 100)
    account = rng.random() < 0.1
    domain = f"account{rng.randrange(2000)}.example" if account else f"company{n}.example"
    return LeadFacts(
        lead_id=uuid.UUID(int=1_000_000 + n),
        lead_key=f"email:lead{n}@{domain}",
        campaign_id="bench",
        received_at=NOW,
        score=score,
        grade="A" if score >= 75 else "B" if score >= 50 else "C" if score >= 25 else "D",
        email_key=f"lead{n}@{domain}",
        email_domain=domain,
        company_domain=domain,
        company_name=f"Company {n}",
        employees=rng.choice([5, 40, 250, 1200, 5000]),
        country=country,
        language=COUNTRIES[country] if rng.random() < 0.8 else None,
        product=rng.choice(PRODUCTS),
        value=float(score),
    )


def workload(description: str, *, leads: int) -> tuple[World, list[LeadFacts]]:
    """The world and the leads of ``--leads`` (default ``leads``) and ``--seed`` from the
    command line."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--leads", type=int, default=leads)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    world = build_world(rng)
    return world, [lead_facts(rng, n) for n in range(args.leads)]


def decided(leads: list[LeadFacts], context: RoutingContext, policy: Policy) -> Iterator[Decision]:
    """Each lead decided in turn, the loads following the assignments; every ``DAY``
    leads a new day starts (daily capacities start again)."""
    for n, facts in enumerate(leads):
        if n and n % DAY == 0:
            context.load.assigned_today.clear()
        decision = decide(facts, context, policy, NOW)
        yield decision
        if decision.salesperson_id is not None and decision.outcome == "assigned":
            context.load.assign(decision.salesperson_id, pool=decision.pool, value=facts.value)


def main() -> None:
    world, leads = workload(__doc__.split("\n")[0], leads=20_000)
    policy = Policy(name="bench", version=1, document=PolicyDocument.model_validate(world.policy))

    candidates = [
        Candidate(id=i, name=p["name"])
        for i, p in zip(person_ids(world), world.people, strict=True)
    ]
    started = time.perf_counter()
    last = None
    for _ in leads:
        chosen = round_robin(candidates, last)
        last = chosen.id if chosen else None
    baseline = len(leads) / (time.perf_counter() - started)

    context = context_of(world)
    outcomes: dict[str, int] = {}
    started = time.perf_counter()
    for decision in decided(leads, context, policy):
        outcomes[decision.via] = outcomes.get(decision.via, 0) + 1
    elapsed = time.perf_counter() - started
    rate = len(leads) / elapsed
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"world: {len(world.people)} salespeople, {len(world.teams)} teams, "
        f"{len(world.policy['rules'])} rules, {len(world.accounts)} accounts; {len(leads)} leads"
    )
    print(f"baseline round robin : {baseline:12,.0f} decisions/s")
    print(
        f"engine (decide)      : {rate:12,.0f} decisions/s "
        f"({elapsed / len(leads) * 1e6:.0f} µs each, {rate / baseline:.3%} of the baseline)"
    )
    print(f"decided via          : {dict(sorted(outcomes.items()))}")
    print(f"peak RSS             : {peak_mb:.0f} MiB")
    print(f"target > 5,000/s     : {'met' if rate > 5000 else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
