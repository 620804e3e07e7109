"""Choosing within a pool: round robin, weighted, least loaded; capacity; determinism."""

from leadrouter_router.routing.engine import decide, effective_capacity
from leadrouter_router.routing.facts import Person
from tests.router.engine_values import NOW, context, lead, person, pid, policy


def route_many(count: int, ctx_people: tuple[Person, ...], strategy: str) -> list[int]:
    ctx_ = context(*ctx_people)
    chosen = []
    rules = policy({"name": "all", "pool": "sales", "strategy": strategy})
    for _ in range(count):
        decision = decide(lead(), ctx_, rules, NOW)
        assert decision.salesperson_id is not None
        ctx_.load.assign(decision.salesperson_id, pool=decision.pool, value=60)
        chosen.append(decision.salesperson_id.int)
    return chosen


def test_round_robin_takes_turns_in_pool_order_and_wraps() -> None:
    assert route_many(7, (person(1), person(2), person(3)), "round_robin") == [1, 2, 3, 1, 2, 3, 1]


def test_round_robin_goes_on_after_the_last_assigned_of_the_pool() -> None:
    ctx = context(person(1), person(2), person(3))
    ctx.load.last_in_pool["sales"] = pid(2)
    assert decide(lead(), ctx, policy(), NOW).salesperson_id == pid(3)


def test_round_robin_skips_an_ineligible_member_and_says_why() -> None:
    ctx = context(person(1), person(2, status="paused"), person(3))
    ctx.load.last_in_pool["sales"] = pid(1)
    decision = decide(lead(), ctx, policy(), NOW)
    assert decision.salesperson_id == pid(3)
    (pool,) = decision.record.pools
    assert [c.exclusions() for c in pool.candidates] == [[], ["inactive"], []]


def test_weighted_splits_by_weight() -> None:
    chosen = route_many(30, (person(1, weight=2), person(2, weight=1)), "weighted")
    assert chosen.count(1) == 20
    assert chosen.count(2) == 10


def test_least_open_leads_goes_to_the_least_busy() -> None:
    ctx = context(person(1), person(2), person(3))
    ctx.load.open_leads.update({str(pid(1)): 4, str(pid(2)): 1, str(pid(3)): 2})
    rules = policy({"name": "all", "pool": "sales", "strategy": "least_open_leads"})
    decision = decide(lead(), ctx, rules, NOW)
    assert decision.salesperson_id == pid(2)
    assert decision.strategy == "least_open_leads"
    assert "least open leads (1)" in (decision.record.tie_break or "")


def test_least_open_value_weighs_what_is_open() -> None:
    ctx = context(person(1), person(2))
    ctx.load.open_leads.update({str(pid(1)): 1, str(pid(2)): 5})
    ctx.load.open_value.update({str(pid(1)): 900.0, str(pid(2)): 100.0})
    rules = policy({"name": "all", "pool": "sales", "strategy": "least_open_value"})
    assert decide(lead(), ctx, rules, NOW).salesperson_id == pid(2)


def test_least_loaded_ties_are_broken_by_turn() -> None:
    chosen = route_many(4, (person(1), person(2)), "least_open_leads")
    assert chosen == [1, 2, 1, 2]


def test_daily_capacity_excludes_who_reached_it() -> None:
    ctx = context(person(1, max_new_per_day=2), person(2))
    ctx.load.assigned_today[str(pid(1))] = 2
    decision = decide(lead(), ctx, policy(), NOW)
    assert decision.salesperson_id == pid(2)
    first = decision.record.pools[0].candidates[0]
    assert first.exclusions() == ["daily_capacity_reached"]


def test_open_capacity_excludes_who_reached_it() -> None:
    ctx = context(person(1, max_open=3), person(2))
    ctx.load.open_leads[str(pid(1))] = 3
    decision = decide(lead(), ctx, policy(), NOW)
    assert decision.salesperson_id == pid(2)
    assert decision.record.pools[0].candidates[0].exclusions() == ["open_capacity_reached"]


def test_a_small_capacity_is_never_scaled_down_to_zero() -> None:
    assert effective_capacity(1, 0.3) == 1
    assert effective_capacity(3, 0.5) == 2
    assert effective_capacity(0, 2.0) == 0
    assert effective_capacity(None, 0.5) is None
    ctx = context(person(1, max_new_per_day=1))
    assert decide(lead(), ctx, policy(capacity_factor=0.3), NOW).salesperson_id == pid(1)


def test_the_same_inputs_give_the_same_decision() -> None:
    def once() -> object:
        ctx = context(person(1), person(2, weight=3), person(3))
        ctx.load.assigned_today[str(pid(2))] = 1
        fixed = lead(lead_key="email:same@example.org")
        rules = policy({"name": "all", "pool": "sales", "strategy": "weighted"})
        decision = decide(fixed, ctx, rules, NOW)
        return decision.salesperson_id, decision.record

    assert once() == once()


def test_the_record_names_the_policy_version_and_the_tie_break() -> None:
    decision = decide(lead(), context(person(1), person(2)), policy(version=7), NOW)
    assert (decision.record.policy.name, decision.record.policy.version) == ("default", 7)
    assert (decision.record.tie_break or "").startswith("round robin")
    assert decision.record.outcome == "assigned"
