"""Routing decisions: ``decide(lead, context, policy, now) -> Decision``, a pure function.

The order is the product's: the same person already known keeps their lead
(dedupe), a lead of a company already owned stays in its circuit, then the
first rule that matches picks a pool and a strategy, then the fallback pool or
owner, else the lead waits, unassigned and counted. No session, clock or logger
here: the service hands in what it read and records what comes out.
"""

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from leadrouter_router.policies.policy import Policy, Rule, Strategy
from leadrouter_router.routing.availability import unavailability
from leadrouter_router.routing.conditions import holds, territories_of
from leadrouter_router.routing.facts import LeadFacts, Person, RoutingContext, Static
from leadrouter_router.routing.matching import duplicate_of, matching_account, open_lead_of_company
from leadrouter_router.routing.record import (
    BIT,
    MATCHED,
    Circuit,
    DecisionRecord,
    Dedupe,
    FallbackOwner,
    LeadRef,
    PolicyRef,
    PoolCheck,
)
from leadrouter_router.routing.record import Candidate as Considered

Outcome = Literal["assigned", "unassigned", "merged"]

MISSING_LANGUAGE = "missing_language"
MISSING_SKILL = "missing_skill"
NOT_SENIOR_ENOUGH = "not_senior_enough"
DAILY_CAPACITY_REACHED = "daily_capacity_reached"
OPEN_CAPACITY_REACHED = "open_capacity_reached"
ALREADY_HAD_LEAD = "already_had_lead"
UNKNOWN_SALESPERSON = "unknown_salesperson"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A salesperson in the trivial rotation (the benchmark's baseline)."""

    id: uuid.UUID
    name: str


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    salesperson_id: uuid.UUID | None
    via: str
    """dedupe | account | open_lead | rule | fallback_pool | fallback_owner | none"""
    reason: str
    record: DecisionRecord
    pool: str | None = None
    strategy: str | None = None
    merged_into: uuid.UUID | None = None


@dataclass(slots=True)
class _Draft:
    """The record as the decision goes along (the parts a path reaches)."""

    policy: PolicyRef
    lead: LeadRef
    now: datetime
    dedupe: Dedupe | None = None
    circuit: Circuit | None = None
    territories: tuple[str, ...] | None = None
    rules: list[int] = field(default_factory=list)
    actual: dict[str, Any] = field(default_factory=dict)
    pools: list[PoolCheck] = field(default_factory=list)
    tie_break: str | None = None
    fallback_owner: FallbackOwner | None = None


def round_robin(
    candidates: Sequence[Candidate], last_assigned: uuid.UUID | None
) -> Candidate | None:
    """The candidate after ``last_assigned`` in the given order (wrapping), or the first."""
    if not candidates:
        return None
    ids = [c.id for c in candidates]
    position = (ids.index(last_assigned) + 1) % len(ids) if last_assigned in ids else 0
    return candidates[position]


def effective_capacity(limit: int | None, factor: float) -> int | None:
    """A capacity scaled by the policy, rounded up and never from a positive limit to zero
    (Odoo's daily quota rounds small capacities down to nothing)."""
    if limit is None:
        return None
    if limit <= 0:
        return 0
    return max(1, math.ceil(limit * factor))


def decide(lead: LeadFacts, context: RoutingContext, policy: Policy, now: datetime) -> Decision:
    doc = policy.document
    record = _Draft(
        policy=PolicyRef(policy.name, policy.version, policy.id),
        lead=LeadRef(lead.lead_key, lead.campaign_id, lead.grade),
        now=now,
    )

    duplicate = duplicate_of(
        lead, context.known, window=timedelta(hours=doc.dedupe_window_hours), now=now
    )
    if duplicate is not None:
        original, key = duplicate
        record.dedupe = Dedupe(original.id, key)
        owner = context.people.get(original.owner_id) if original.owner_id else None
        reason = f"the same person (by {key}) as lead {original.id}" + (
            f", which stays with {owner.name}" if owner else ", which waits unassigned"
        )
        return _finish(
            record, "merged", original.owner_id, "dedupe", reason, merged_into=original.id
        )

    circuit = _circuit(lead, context, policy, now, record)
    if circuit is not None:
        return circuit

    territories = territories_of(lead, context.territories)
    record.territories = territories
    evaluated, seen = record.rules, record.actual
    chosen_rule: Rule | None = None
    for rule in doc.rules:
        failed = MATCHED
        for position, condition in enumerate(rule.when):
            ok, seen[condition.field] = holds(condition, lead, territories)
            if not ok:
                failed = position
                break
        evaluated.append(failed)
        if failed == MATCHED:
            chosen_rule = rule
            break

    if chosen_rule is not None:
        after_hours = (
            doc.allow_after_hours
            if chosen_rule.allow_after_hours is None
            else chosen_rule.allow_after_hours
        )
        picked = _pick(
            lead,
            context,
            policy,
            now,
            chosen_rule.pool,
            chosen_rule.strategy,
            after_hours=after_hours,
            record=record,
            stage="pool",
        )
        if picked is not None:
            person, tie_break = picked
            return _finish(
                record,
                "assigned",
                person.id,
                "rule",
                f"rule {chosen_rule.name!r}: {person.name} in pool {chosen_rule.pool}"
                f" ({tie_break})",
                pool=chosen_rule.pool,
                strategy=chosen_rule.strategy,
            )

    if doc.fallback.pool is not None:
        picked = _pick(
            lead,
            context,
            policy,
            now,
            doc.fallback.pool,
            "round_robin",
            after_hours=doc.allow_after_hours,
            record=record,
            stage="fallback_pool",
        )
        if picked is not None:
            person, tie_break = picked
            return _finish(
                record,
                "assigned",
                person.id,
                "fallback_pool",
                f"fallback pool {doc.fallback.pool}: {person.name} ({tie_break})",
                pool=doc.fallback.pool,
                strategy="round_robin",
            )

    if doc.fallback.owner_email is not None:
        owner = next(
            (p for p in context.people.values() if p.email == doc.fallback.owner_email), None
        )
        record.fallback_owner = FallbackOwner(doc.fallback.owner_email, owner is not None)
        if owner is not None and owner.status == "active" and owner.id not in lead.previous_owners:
            return _finish(
                record,
                "assigned",
                owner.id,
                "fallback_owner",
                f"nobody eligible: the fallback owner {owner.name}",
            )

    why = (
        "no rule matched" if chosen_rule is None else f"nobody eligible in pool {chosen_rule.pool}"
    )
    return _finish(record, "unassigned", None, "none", f"{why}; the lead waits unassigned")


def _circuit(
    lead: LeadFacts, context: RoutingContext, policy: Policy, now: datetime, record: _Draft
) -> Decision | None:
    """An owned account or an open lead of the same company goes to its owner if available."""
    found = matching_account(lead, context, threshold=policy.document.account_name_threshold)
    account_name: str | None = None
    if found is not None:
        account, how = found
        via, ref_id, account_name, owner_id = "account", account.id, account.name, account.owner_id
        what = f"account {account.name}"
    else:
        other = open_lead_of_company(lead, context.known)
        if other is None:
            return None
        via, how, ref_id, owner_id = "open_lead", "company domain", other.id, other.owner_id
        what = f"open lead {other.id}"
    person = context.people.get(owner_id) if owner_id is not None else None
    if person is None:
        record.circuit = Circuit(via, how, ref_id, None, ("no owner",), account_name)
        return None
    reasons = unavailability(person, now, after_hours_ok=policy.document.allow_after_hours)
    if person.id in lead.previous_owners:
        reasons += (ALREADY_HAD_LEAD,)
    record.circuit = Circuit(via, how, ref_id, person.id, reasons, account_name)
    if reasons:
        return None
    return _finish(
        record, "assigned", person.id, via, f"keeps the circuit: {person.name} owns {what}"
    )


def _static(person: Person, now: datetime, *, after_hours: bool, factor: float) -> Static:
    return Static(
        key=str(person.id),
        unavailable=unavailability(person, now, after_hours_ok=after_hours),
        daily_cap=effective_capacity(person.max_new_per_day, factor),
        open_cap=effective_capacity(person.max_open, factor),
    )


def _slots(
    context: RoutingContext, pool: str, now: datetime, *, after_hours: bool, factor: float
) -> list[tuple[uuid.UUID, Person | None, Static | None]]:
    """The pool's members with what is fixed for the batch, resolved once per pool."""
    statics = context.statics(now, after_hours, factor)
    cached = statics.pools.get(pool)
    if cached is None:
        cached = []
        for member in context.pools.get(pool, ()):
            person = context.people.get(member)
            static = statics.people.get(member)
            if person is not None and static is None:
                static = statics.people[member] = _static(
                    person, now, after_hours=after_hours, factor=factor
                )
            cached.append((member, person, static))
        statics.pools[pool] = cached
    return cached


@dataclass(frozen=True, slots=True)
class _Slot:
    """A pool member as one kind of lead sees them: the reasons that do not depend on
    load already worked out (cached per pool, language, product and seniority needed)."""

    position: int
    member: uuid.UUID
    person: Person | None
    key: str
    base: int
    """The reasons that do not depend on load, as bits of ``record.EXCLUSIONS``."""
    daily_cap: int | None
    open_cap: int | None


def _lead_slots(
    context: RoutingContext,
    pool: str,
    now: datetime,
    lead: LeadFacts,
    needed: int | None,
    *,
    after_hours: bool,
    factor: float,
) -> list[_Slot]:
    statics = context.statics(now, after_hours, factor)
    cache_key = (pool, lead.language, lead.product, needed)
    cached = statics.kinds.get(cache_key)
    if cached is not None:
        return cached
    found = []
    for position, (member, person, static) in enumerate(
        _slots(context, pool, now, after_hours=after_hours, factor=factor)
    ):
        if person is None or static is None:
            found.append(
                _Slot(position, member, None, str(member), BIT[UNKNOWN_SALESPERSON], None, None)
            )
            continue
        reasons = 0
        for reason in static.unavailable:
            reasons |= BIT[reason]
        if lead.language is not None and lead.language not in person.languages:
            reasons |= BIT[MISSING_LANGUAGE]
        if lead.product is not None and lead.product not in person.skills:
            reasons |= BIT[MISSING_SKILL]
        if needed is not None and person.seniority < needed:
            reasons |= BIT[NOT_SENIOR_ENOUGH]
        found.append(
            _Slot(position, member, person, static.key, reasons, static.daily_cap, static.open_cap)
        )
    statics.kinds[cache_key] = found
    return found


def _pick(
    lead: LeadFacts,
    context: RoutingContext,
    policy: Policy,
    now: datetime,
    pool: str,
    strategy: Strategy,
    *,
    after_hours: bool,
    record: _Draft,
    stage: str,
) -> tuple[Person, str] | None:
    """Every member of the pool, with every reason that excludes them; then the strategy."""
    doc = policy.document
    needed = next((tier for g, tier in doc.seniority_by_grade.items() if g == lead.grade), None)
    slots = _lead_slots(
        context, pool, now, lead, needed, after_hours=after_hours, factor=doc.capacity_factor
    )
    previous = lead.previous_owners
    assigned_today, open_leads = context.load.assigned_today, context.load.open_leads
    considered: list[Considered] = []
    eligible: list[tuple[int, Person]] = []
    for slot in slots:
        reasons = slot.base
        member = slot.member
        if slot.daily_cap is not None and assigned_today.get(slot.key, 0) >= slot.daily_cap:
            reasons |= _DAILY
        if slot.open_cap is not None and open_leads.get(slot.key, 0) >= slot.open_cap:
            reasons |= _OPEN
        if previous and member in previous:
            reasons |= _HAD
        considered.append(Considered(member, reasons))
        if not reasons and slot.person is not None:
            eligible.append((slot.position, slot.person))
    record.pools.append(PoolCheck(stage, pool, strategy, tuple(considered)))
    if not eligible:
        return None
    person, tie_break = _choose(eligible, [(s.member,) for s in slots], context, pool, strategy)
    record.tie_break = tie_break
    return person, tie_break


_DAILY, _OPEN, _HAD = BIT[DAILY_CAPACITY_REACHED], BIT[OPEN_CAPACITY_REACHED], BIT[ALREADY_HAD_LEAD]


def _choose(
    eligible: list[tuple[int, Person]],
    slots: Sequence[tuple[uuid.UUID]],
    context: RoutingContext,
    pool: str,
    strategy: Strategy,
) -> tuple[Person, str]:
    load = context.load
    # Rotation order: members after the last one assigned in this pool come first, so
    # every strategy breaks its ties by taking turns.
    last = load.last_in_pool.get(pool)
    start = next((i + 1 for i, slot in enumerate(slots) if slot[0] == last), 0)
    size = len(slots)
    if strategy == "round_robin":
        _, person = min(eligible, key=lambda e: (e[0] - start) % size)
        return person, f"round robin: next in turn after {last or 'the start'}"
    if strategy == "weighted":

        def share(e: tuple[int, Person]) -> tuple[float, int]:
            person = e[1]
            load_now = load.assigned_today.get(person.key, 0) + 1
            return load_now / max(person.weight, 1e-9), (e[0] - start) % size

        _, person = min(eligible, key=share)
        return person, (
            f"weighted: lowest assigned-today per weight ({load.assigned_today.get(person.key, 0)}"
            f" / {person.weight:g}), ties by turn"
        )
    if strategy == "least_open_leads":
        _, person = min(
            eligible, key=lambda e: (load.open_leads.get(e[1].key, 0), (e[0] - start) % size)
        )
        return person, f"least open leads ({load.open_leads.get(person.key, 0)}), ties by turn"
    _, person = min(
        eligible, key=lambda e: (load.open_value.get(e[1].key, 0.0), (e[0] - start) % size)
    )
    return person, f"least open value ({load.open_value.get(person.key, 0.0):g}), ties by turn"


def _finish(
    record: _Draft,
    outcome: Outcome,
    salesperson_id: uuid.UUID | None,
    via: str,
    reason: str,
    *,
    pool: str | None = None,
    strategy: str | None = None,
    merged_into: uuid.UUID | None = None,
) -> Decision:
    # Positional: the fields in DecisionRecord's order (policy, decided_at, lead, outcome,
    # via, reason, salesperson_id, pool, strategy, then what the path reached).
    found = DecisionRecord(
        record.policy, record.now, record.lead, outcome, via, reason, salesperson_id, pool,
        strategy, record.dedupe, record.circuit, record.territories, tuple(record.rules),
        record.actual, tuple(record.pools), record.tie_break, record.fallback_owner,
    )  # fmt: skip
    return Decision(
        outcome=outcome,
        salesperson_id=salesperson_id,
        via=via,
        reason=reason,
        record=found,
        pool=pool,
        strategy=strategy,
        merged_into=merged_into,
    )
