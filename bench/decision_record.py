"""Bytes per lead of the decision record, as stored, on the engine benchmark's world.

    uv run python -m bench.decision_record [--leads 5000] [--seed 7]

The world and leads of ``bench.router_engine`` (500 salespeople, 50 rules, 2,000
accounts). For each decision: the full record as the API shows it, encoded as JSON
the way it was stored before (version 1, ``decisions.record``), against its compact
form (version 2, ``decisions.compact``).
"""

import argparse
import random
import statistics
import uuid

from bench.router_engine import DAY, NOW, build_world, context_of, lead_facts
from leadrouter_router.policies.policy import Policy, PolicyDocument
from leadrouter_router.routing.engine import decide
from leadrouter_router.routing.record import explain, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    world = build_world(rng)
    leads = [lead_facts(rng, n) for n in range(args.leads)]
    document = PolicyDocument.model_validate(world.policy)
    policy = Policy(name="bench", version=1, document=document, id=uuid.UUID(int=1))
    context = context_of(world)
    names = {person.id: person.name for person in context.people.values()}
    full: list[int] = []
    compact: list[int] = []
    for n, facts in enumerate(leads):
        if n and n % DAY == 0:
            context.load.assigned_today.clear()
        decision = decide(facts, context, policy, NOW)
        compact.append(len(stored(decision.record)))
        full.append(len(explain(decision.record, document=document, names=names).model_dump_json()))
        if decision.salesperson_id is not None and decision.outcome == "assigned":
            context.load.assign(decision.salesperson_id, pool=decision.pool, value=facts.value)
    before, after = statistics.mean(full), statistics.mean(compact)
    rules = len(world.policy["rules"])
    print(f"world: {len(world.people)} salespeople, {rules} rules; {len(leads)} leads")
    for label, sizes in (("full record (JSON, v1)", full), ("compact (MessagePack, v2)", compact)):
        print(
            f"{label:26}: {statistics.mean(sizes):7,.0f} bytes/lead"
            f" (median {statistics.median(sizes):,.0f}, max {max(sizes):,})"
        )
    print(f"{'ratio':26}: {before / after:7.1f}x smaller ({after / before:.1%} of before)")


if __name__ == "__main__":
    main()
