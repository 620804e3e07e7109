"""Bytes per lead of the decision record, as stored, on the engine benchmark's world.

    uv run python -m bench.decision_record [--leads 5000] [--seed 7]

The world and leads of ``bench.router_engine`` (500 salespeople, 50 rules, 2,000
accounts). For each decision: the full record as the API shows it, encoded as JSON
the way it was stored before (version 1, ``decisions.record``), against its compact
form (version 2, ``decisions.compact``).
"""

import statistics
import uuid

from bench.router_engine import context_of, decided, workload
from leadrouter_router.policies.policy import Policy, PolicyDocument
from leadrouter_router.routing.record import explain, stored


def main() -> None:
    world, leads = workload(__doc__.split("\n")[0], leads=5_000)
    document = PolicyDocument.model_validate(world.policy)
    policy = Policy(name="bench", version=1, document=document, id=uuid.UUID(int=1))
    context = context_of(world)
    names = {person.id: person.name for person in context.people.values()}
    full: list[int] = []
    compact: list[int] = []
    for decision in decided(leads, context, policy):
        compact.append(len(stored(decision.record)))
        full.append(len(explain(decision.record, document=document, names=names).model_dump_json()))
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
