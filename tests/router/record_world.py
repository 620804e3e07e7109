"""A small world whose decisions take every path of the engine (dedupe, account, open
lead, rules with every kind of condition, both pools, the fallback owner, nobody),
decided in order: what the decision record tests compare. The full records of these
decisions, as the engine wrote them before the compact form (version 1), are in
``tests/fixtures/router/decision_records_v1.json`` (``python -m tests.router.record_world``
wrote them, on the commit before the typed record)."""

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from leadrouter_router.policies.policy import Policy, PolicyDocument
from leadrouter_router.routing.facts import (
    Account,
    KnownLead,
    LeadFacts,
    Person,
    RoutingContext,
    Territory,
)

GOLDEN = Path(__file__).parents[1] / "fixtures" / "router" / "decision_records_v1.json"
NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)  # a Wednesday
POLICY_ID = uuid.UUID(int=0xB0)
OWNER_EMAIL = "fallback@world.example"


def pid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def people() -> dict[uuid.UUID, Person]:
    rng = random.Random(3)
    found = {}
    for n in range(1, 25):
        roll = rng.random()
        found[pid(n)] = Person(
            id=pid(n),
            name=f"Salesperson {n}",
            email=f"sp{n}@world.example",
            status="paused" if roll < 0.1 else "active",
            languages=frozenset({"en", rng.choice(["es", "de", "fr"])}),
            skills=frozenset(rng.sample(["crm", "erp", "analytics"], rng.randint(1, 2))),
            seniority=rng.randint(1, 3),
            time_zone=rng.choice(["Europe/Madrid", "America/New_York", "Asia/Tokyo"]),
            holidays=frozenset({NOW.date()}) if roll > 0.95 else frozenset(),
            out_of_office=((NOW - timedelta(days=1), NOW + timedelta(days=1)),)
            if 0.9 < roll <= 0.95
            else (),
            max_new_per_day=rng.randint(1, 3),
            max_open=rng.randint(2, 6),
            weight=float(rng.randint(1, 3)),
        )
    found[pid(1)] = replace(found[pid(1)], status="paused")  # owns Paused Corp
    found[pid(99)] = Person(id=pid(99), name="Fallback Owner", email=OWNER_EMAIL)
    return found


def policy() -> Policy:
    document = {
        "rules": [
            {"name": "big iberia", "pool": "iberia", "strategy": "weighted",
             "when": [{"field": "country", "op": "in", "value": ["ES", "PT"]},
                      {"field": "employees", "op": "gte", "value": 200}]},
            {"name": "emea territory", "pool": "emea", "strategy": "least_open_leads",
             "when": [{"field": "territory", "op": "eq", "value": "EMEA"},
                      {"field": "grade", "op": "in", "value": ["A", "B"]}]},
            {"name": "budget answer", "pool": "americas", "strategy": "least_open_value",
             "when": [{"field": "answers.budget", "op": "exists"},
                      {"field": "score", "op": "gt", "value": 30}]},
            {"name": "ghosts", "pool": "ghosts",
             "when": [{"field": "company_name", "op": "prefix", "value": "Ghost"}]},
            {"name": "unknown product", "pool": "nobody",
             "when": [{"field": "product", "op": "exists", "value": False}]},
            {"name": "everyone else", "pool": "americas"},
        ],
        "fallback": {"pool": "emea", "owner_email": OWNER_EMAIL},
        "seniority_by_grade": {"A": 2},
    }  # fmt: skip
    return Policy(
        name="world", version=3, document=PolicyDocument.model_validate(document), id=POLICY_ID
    )


def context() -> RoutingContext:
    everyone = people()
    return RoutingContext(
        people=everyone,
        pools={
            "iberia": [pid(n) for n in range(1, 7)],
            "emea": [pid(n) for n in range(4, 13)] + [pid(77)],  # 77: nobody (unknown)
            "americas": [pid(n) for n in range(12, 25)],
            "ghosts": [pid(78)],
            "nobody": [],
        },
        territories=(Territory("EMEA", countries=frozenset({"DE", "FR", "GB", "ES"})),),
        accounts=(
            Account(pid(501), "Engines Holding", frozenset({"engines.example"}), pid(2)),
            Account(pid(502), "Paused Corp", frozenset({"paused.example"}), pid(1)),
            Account(pid(503), "Orphan Ltd", frozenset({"orphan.example"}), None),
        ),
        known_leads=(
            KnownLead(pid(601), "email:old@known.example", NOW - timedelta(days=2), "assigned",
                      owner_id=pid(13), email_key="old@known.example"),
            KnownLead(pid(602), "phone:+34600000000", NOW - timedelta(days=1), "unassigned",
                      phone_key="+34600000000"),
            KnownLead(pid(603), "email:a@openco.example", NOW - timedelta(hours=3), "assigned",
                      owner_id=pid(14), company_domain="openco.example"),
        ),
    )  # fmt: skip


def leads() -> list[LeadFacts]:
    rng = random.Random(11)
    countries = ["ES", "PT", "DE", "FR", "GB", "US", "MX", None]
    found: list[LeadFacts] = []

    def add(**fields: Any) -> None:
        n = len(found)
        base: dict[str, Any] = {
            "lead_id": pid(1000 + n),
            "lead_key": f"email:lead{n}@company{n}.example",
            "campaign_id": "spring",
            "received_at": NOW,
            "score": 60,
            "grade": "B",
            "email_key": f"lead{n}@company{n}.example",
            "company_domain": f"company{n}.example",
        }
        found.append(LeadFacts(**{**base, **fields}))

    add(email_key="old@known.example")  # dedupe by e-mail, stays with its owner
    add(phone_key="+34600000000")  # dedupe by phone, which waits unassigned
    add(company_domain="engines.example", country="US")  # the account's owner
    add(company_domain="paused.example", country="DE", grade="A", score=80)  # owner paused
    add(company_domain="openco.example", country="US", product="crm")  # open lead's owner
    add(company_domain="orphan.example", country="FR")  # an account without an owner
    add(company_name="Ghost Inc", country="JP", product="erp")  # unknown member only
    add(country="JP")  # no product: the empty pool, then the fallback pool
    add(country="US", previous_owners=frozenset({pid(n) for n in range(12, 25)}), product="crm")
    everyone = frozenset(people()) | {pid(77), pid(78)}
    add(country="US", previous_owners=everyone)  # had by everyone: nobody
    for _ in range(24):
        score = rng.randint(0, 100)
        add(
            score=score,
            grade="A" if score >= 75 else "B" if score >= 50 else "C" if score >= 25 else "D",
            country=rng.choice(countries),
            employees=rng.choice([None, 10, 250, 5000]),
            language=rng.choice([None, "en", "es", "de", "fr"]),
            product=rng.choice(["crm", "erp", "analytics"]),
            answers={"budget": "50k"} if rng.random() < 0.3 else {},
            value=float(score),
        )
    return found


def decide_all(decide: Callable[..., Any]) -> list[tuple[Any, LeadFacts]]:
    """Every lead of the world decided in order, load and known leads moving as the
    service moves them."""
    ctx, rules = context(), policy()
    decided = []
    for facts in leads():
        decision = decide(facts, ctx, rules, NOW)
        decided.append((decision, facts))
        if decision.outcome == "assigned" and decision.salesperson_id is not None:
            ctx.load.assign(decision.salesperson_id, pool=decision.pool, value=facts.value)
        if decision.outcome != "merged" and facts.lead_id is not None:
            ctx.remember(
                KnownLead(
                    facts.lead_id,
                    facts.lead_key,
                    NOW,
                    decision.outcome,
                    owner_id=decision.salesperson_id,
                    email_key=facts.email_key,
                    phone_key=facts.phone_key,
                    company_domain=facts.company_domain,
                )
            )
    return decided


def golden() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return records


if __name__ == "__main__":
    from pydantic_core import to_json

    from leadrouter_router.routing.engine import decide

    written = [json.loads(to_json(d.record)) for d, _ in decide_all(decide)]
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    lines = ",\n".join(json.dumps(record, separators=(",", ":")) for record in written)
    GOLDEN.write_text(f"[\n{lines}\n]\n", encoding="utf-8")
    print({v: sum(r["via"] == v for r in written) for v in {r["via"] for r in written}})
