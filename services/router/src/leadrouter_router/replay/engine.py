"""Replay stored leads through the pure routing engine, in the order they arrived,
each decided at the instant it was received (pure: no session, no clock).

The world a replay decides against (docs/outcomes.md#replay):
- salespeople, pools, territories and accounts as configured now (the router keeps
  no history of them); working hours, holidays and out-of-office periods are
  evaluated at each lead's own instant;
- each campaign's policy in the version that was current when the lead arrived
  (policies are versioned), or a candidate for every lead;
- the load: the assignments open at the start of the window, then the replay's
  own assignments, each released when the lead it stands for was closed in
  reality (and new-per-day counts per salesperson's local day);
- dedupe and the owner circuit see the window's leads as the replay decided them.
"""

import heapq
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from leadrouter_router.policies.policy import Policy, policy_for
from leadrouter_router.routing.batch import decide_in_turn
from leadrouter_router.routing.deadlines import assignment_deadlines
from leadrouter_router.routing.facts import LeadFacts, Load, Person, RoutingContext
from leadrouter_router.routing.snapshot import Configuration
from leadrouter_schemas import LeadScoredData, Score

Rescore = Callable[[LeadScoredData], Score]
"""Scores a stored lead again (the scorer's pure function with some model)."""


@dataclass(frozen=True, slots=True)
class StoredLead:
    """A lead as stored, with what became of it in reality."""

    id: uuid.UUID
    received_at: datetime
    data: LeadScoredData
    product_line: str | None
    policy_name: str | None
    sla: Mapping[str, object] | None
    recorded_owner: uuid.UUID | None
    """Who got it first in reality (None: nobody, or merged)."""
    outcome: str
    """won, lost, bought_elsewhere, unreachable, open, unassigned or merged."""
    closed_at: datetime | None
    """When its last assignment ended (it stops weighing on its owner's load)."""


@dataclass(frozen=True, slots=True)
class Replayed:
    """One lead's decision in one replay."""

    grade: str
    is_mql: bool
    outcome: str
    """assigned, unassigned or merged."""
    owner: uuid.UUID | None
    via: str
    """How the engine decided: dedupe, account, open_lead, rule, fallback_*, none."""
    accept_due_at: datetime | None
    touch_due_at: datetime | None


@dataclass(slots=True)
class _Releases:
    heap: list[tuple[datetime, int, str, float]] = field(default_factory=list)
    counter: int = 0

    def push(self, at: datetime, person: str, value: float) -> None:
        self.counter += 1
        heapq.heappush(self.heap, (at, self.counter, person, value))

    def until(self, now: datetime, load: Load) -> None:
        while self.heap and self.heap[0][0] <= now:
            _, _, person, value = heapq.heappop(self.heap)
            load.open_leads[person] = max(0, load.open_leads.get(person, 0) - 1)
            load.open_value[person] = max(0.0, load.open_value.get(person, 0.0) - value)


@dataclass(frozen=True, slots=True)
class OpenAtStart:
    """An assignment open when the window starts."""

    salesperson_id: uuid.UUID
    value: float
    ends_at: datetime | None


class Replay:
    """One pass over the window's leads under one policy choice and one scoring."""

    def __init__(
        self,
        configuration: Configuration,
        *,
        policy_versions: Mapping[str, Sequence[tuple[datetime, Policy]]],
        open_at_start: Iterable[OpenAtStart] = (),
        candidate: Policy | None = None,
        rescore: Rescore | None = None,
    ) -> None:
        self._people = configuration.people
        self._versions = policy_versions
        self._candidate = candidate
        self._rescore = rescore
        self._context = RoutingContext(
            people=configuration.people,
            pools=configuration.pools,
            territories=configuration.territories,
            accounts=configuration.accounts,
            account_index=configuration.account_index,
        )
        self._releases = _Releases()
        self._per_day: dict[tuple[str, date], int] = {}
        self._zones = {p.key: ZoneInfo(p.time_zone) for p in configuration.people.values()}
        load = self._context.load
        for held in open_at_start:
            key = str(held.salesperson_id)
            load.open_leads[key] = load.open_leads.get(key, 0) + 1
            load.open_value[key] = load.open_value.get(key, 0.0) + held.value
            if held.ends_at is not None:
                self._releases.push(held.ends_at, key, held.value)

    def _policy(self, lead: StoredLead) -> Policy:
        if self._candidate is not None:
            return self._candidate
        as_of: dict[str, Policy] = {}
        for name, versions in self._versions.items():
            current = [policy for created, policy in versions if created <= lead.received_at]
            if current:
                as_of[name] = current[-1]
        return policy_for(as_of, lead.policy_name)

    def _day_counts(self, now: datetime) -> dict[str, int]:
        counts = {}
        for key, zone in self._zones.items():
            found = self._per_day.get((key, now.astimezone(zone).date()))
            if found:
                counts[key] = found
        return counts

    def decide(self, lead: StoredLead) -> Replayed:
        now = lead.received_at
        data = lead.data
        if self._rescore is not None:
            data = data.model_copy(update={"score": self._rescore(data)})
        facts = LeadFacts.from_scored(
            data, received_at=now, product_line=lead.product_line, lead_id=lead.id
        )
        context = self._context
        self._releases.until(now, context.load)
        context.load.assigned_today = self._day_counts(now)
        decision = decide_in_turn(facts, context, self._policy(lead), now)
        context.drop_statics()  # the next lead is decided at another instant
        owner = decision.salesperson_id
        accept = touch = None
        if decision.outcome == "assigned" and owner is not None:
            person = self._people[owner]
            day = (person.key, now.astimezone(self._zones[person.key]).date())
            self._per_day[day] = self._per_day.get(day, 0) + 1
            if lead.closed_at is not None:
                self._releases.push(lead.closed_at, person.key, facts.value)
            deadlines = assignment_deadlines(lead.sla, data.score.grade, person, now)
            accept, touch = deadlines.accept_due_at, deadlines.touch_due_at
        return Replayed(
            grade=data.score.grade,
            is_mql=data.score.is_mql,
            outcome=decision.outcome,
            owner=owner,
            via=decision.via,
            accept_due_at=accept,
            touch_due_at=touch,
        )


def person_names(people: Mapping[uuid.UUID, Person]) -> dict[uuid.UUID, str]:
    return {person.id: person.name for person in people.values()}
