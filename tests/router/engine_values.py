"""Values for the engine's tests: people, pools, policies and leads built in one line each."""

import uuid
from datetime import UTC, datetime, time
from typing import Any

from leadrouter_router.policies.policy import Policy, PolicyDocument
from leadrouter_router.routing.facts import Interval, LeadFacts, Person, RoutingContext

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday


def pid(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


def hours(text: str, days: str = "1234567") -> dict[int, tuple[Interval, ...]]:
    start, end = (time.fromisoformat(part) for part in text.split("-"))
    return {int(day): ((start, end),) for day in days}


def person(n: int, **changes: Any) -> Person:
    base: dict[str, Any] = {"id": pid(n), "name": f"p{n}", "email": f"p{n}@example.com"}
    return Person(**{**base, **changes})


def lead(**changes: Any) -> LeadFacts:
    base: dict[str, Any] = {
        "lead_key": f"email:{uuid.uuid4().hex}@example.org",
        "campaign_id": "spring",
        "received_at": NOW,
        "score": 60,
        "grade": "B",
    }
    return LeadFacts(**{**base, **changes})


def context(
    *people: Person, pools: dict[str, list[int]] | None = None, **more: Any
) -> RoutingContext:
    pools = pools if pools is not None else {"sales": [p.id.int for p in people]}
    return RoutingContext(
        people={p.id: p for p in people},
        pools={name: [pid(n) for n in members] for name, members in pools.items()},
        **more,
    )


def policy(*rules: dict[str, Any], version: int = 1, **options: Any) -> Policy:
    return Policy(
        name="default",
        version=version,
        document=PolicyDocument.model_validate(
            {"rules": list(rules) or [{"name": "all", "pool": "sales"}], **options}
        ),
    )
